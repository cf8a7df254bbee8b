// Typeset the maths that pymdownx.arithmatex (generic mode) marks with class "arithmatex":
// inline \( ... \) and display \[ ... \]. KaTeX is served by the site (assets/vendor/katex).
// Material's document$ fires on every page load, including instant navigation.
document$.subscribe(({ body }) => {
  for (const el of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(el, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
    });
  }
});
