"""Moving mentions in and out: import readers (webmention.io, WordPress), export and restore."""
