// Starts Swagger UI on the document named by #swagger-ui's data-openapi-url.
// A separate file rather than an inline script, so the page's
// Content-Security-Policy can forbid inline scripts.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // No call to the public validator service: /docs works offline.
    validatorUrl: null,
    displayRequestDuration: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0
  });
});
