// Start Swagger UI on the JSON API's docs page (/api/docs). A file, not an inline script: the
// Content-Security-Policy allows scripts from Passerelle only.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: false,
    // Never ask validator.swagger.io about the document: no request leaves Passerelle.
    validatorUrl: null,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
})();
