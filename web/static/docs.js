// The API docs page: swagger-ui from a Python package (fastapi-offline's copy), served by kefu itself (no CDN),
// started here rather than by an inline script, which the pages' CSP forbids.
window.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // the default validator is a public web service
});
