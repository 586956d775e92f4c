// Loads the embed for the key named in this page's query (?key=wk_…[&token=…] for signed mode), as a customer's page
// would with a fixed tag.
(function () {
  "use strict";
  var query = new URLSearchParams(location.search);
  var key = query.get("key");
  var tag = document.createElement("script");
  tag.src = "/widget/v1/embed.js";
  tag.setAttribute("data-hiroi-key", key || "");
  if (query.get("token")) tag.setAttribute("data-hiroi-token", query.get("token"));
  document.body.appendChild(tag);
})();
