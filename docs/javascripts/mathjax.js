// MathJax 3, served from the site itself (assets/mathjax/, copied from a Python package at
// build time by docs/hooks.py): pages typeset \( \) and \[ \] written by pymdownx.arithmatex;
// the tutorials (rendered notebooks) typeset $ $ and $$ $$ in their Markdown cells.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown|jp-MarkdownOutput",
  },
};

// Material's instant navigation swaps the page without reloading: typeset the new one.
document$.subscribe(() => {
  if (window.MathJax.typesetPromise) {
    MathJax.startup.output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    MathJax.typesetPromise();
  }
});
