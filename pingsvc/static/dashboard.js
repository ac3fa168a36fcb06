// pingsvc dashboard: "select all" for bulk actions, and the error page's back link.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("[data-select-all]")) {
    box.addEventListener("change", () => {
      const form = box.closest("form");
      for (const item of form.querySelectorAll(`input[name="${box.dataset.selectAll}"]`)) {
        item.checked = box.checked;
      }
    });
  }
  for (const link of document.querySelectorAll("[data-back]")) {
    link.addEventListener("click", (event) => { event.preventDefault(); history.back(); });
  }
});
