// Loads a province's communes and workplaces when the province changes, so the
// no-JavaScript "show the communes" round trip is not needed.
(function () {
  "use strict";
  document.querySelectorAll("form[data-unit-picker]").forEach(function (form) {
    var province = form.querySelector("select[name=province]");
    var commune = form.querySelector("select[name=home_unit]");
    var workplace = form.querySelector("select[name=workplace_unit]");
    var refresh = form.querySelector("[data-refresh-units]");
    if (!province || !commune) { return; }
    if (refresh) { refresh.hidden = true; }

    function fill(select, items) {
      if (!select) { return; }
      var blank = select.options[0] ? select.options[0].cloneNode(true) : new Option("---------", "");
      select.innerHTML = "";
      select.appendChild(blank);
      items.forEach(function (item) { select.appendChild(new Option(item.name, item.id)); });
    }

    province.addEventListener("change", function () {
      if (!province.value) { fill(commune, []); fill(workplace, []); return; }
      var url = province.dataset.unitsUrl.replace("{code}", encodeURIComponent(province.value));
      commune.disabled = true;
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (data) { fill(commune, data.communes); fill(workplace, data.organisations); })
        .catch(function () { if (refresh) { refresh.hidden = false; } })
        .finally(function () { commune.disabled = false; });
    });
  });
})();
