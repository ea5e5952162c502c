// Une retouche d'accessibilité (règle d'axe-core), faite dès que les éléments apparaissent :
// Material crée les marqueurs d'annotation après le chargement de la page.
const improveAccessibility = () => {
  // Les marqueurs des annotations du code (1, 2…) n'ont pas de texte : Material dessine leur
  // numéro en CSS. Un nom accessible, « Annotation 1 »…, pour les lecteurs d'écran (link-name).
  for (const link of document.querySelectorAll("a.md-annotation__index:not([aria-label])")) {
    const number = link.querySelector("[data-md-annotation-id]")?.dataset.mdAnnotationId;
    link.setAttribute("aria-label", number ? `Annotation ${number}` : "Annotation");
  }
};
improveAccessibility();
new MutationObserver(improveAccessibility).observe(document.body, {
  childList: true,
  subtree: true,
});
