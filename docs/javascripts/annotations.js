// Les marqueurs des annotations du code (1, 2…) n'ont pas de texte : Material dessine leur
// numéro en CSS. Ce script leur donne un nom accessible, « Annotation 1 »…, lu par les lecteurs
// d'écran (règle link-name d'axe-core). Material crée ces marqueurs après le chargement de la
// page : un MutationObserver les nomme dès qu'ils apparaissent.
const nameAnnotations = () => {
  for (const link of document.querySelectorAll("a.md-annotation__index:not([aria-label])")) {
    const number = link.querySelector("[data-md-annotation-id]")?.dataset.mdAnnotationId;
    link.setAttribute("aria-label", number ? `Annotation ${number}` : "Annotation");
  }
};
nameAnnotations();
new MutationObserver(nameAnnotations).observe(document.body, { childList: true, subtree: true });
