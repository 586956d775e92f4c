// Loads the embed for the key named in this page's query (?key=wk_…), as a customer's page would with a fixed tag.
(function () {
  "use strict";
  var key = new URLSearchParams(location.search).get("key");
  var tag = document.createElement("script");
  tag.src = "/widget/v1/embed.js";
  tag.setAttribute("data-hiroi-key", key || "");
  document.body.appendChild(tag);
})();
