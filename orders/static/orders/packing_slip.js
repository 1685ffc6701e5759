// The packing slip's Print button (a file of its own: the Content-Security-Policy refuses
// inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-slip");
  if (button) button.addEventListener("click", () => window.print());
});
