// MathJax 3, served from the site itself (assets/mathjax/, copied from a Python package at
// build time by docs/hooks.py): pages typeset \( \) and \[ \] written by pymdownx.arithmatex;
// the tutorials (rendered notebooks) write $ $ and $$ $$ in their Markdown cells.
// MathJax typesets each page once, when it loads (the theme's instant navigation is off).
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  // The whole page is searched (code blocks are skipped by tag): the notebooks' Markdown cells
  // hold their math inside <p> and <td> elements, not in arithmatex's spans.
  options: {
    ignoreHtmlClass: "tex2jax_ignore",
    processHtmlClass: "tex2jax_process|arithmatex",
  },
};

