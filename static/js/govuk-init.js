// Marks the page as able to run GOV.UK Frontend's JavaScript. A file, not inline, for the CSP.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
