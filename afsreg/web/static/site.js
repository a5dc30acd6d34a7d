// Client-side search and filters for the model index. Reads the JSON the page
// carries (no network), hides the cards that do not match, keeps the query in
// the URL (index.html?q=coder&framework=unsloth) so a filtered view can be shared.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("index-data").textContent);
  const byName = new Map(data.map((m) => [m.name, m]));
  const ids = ["q", "tag", "state", "framework", "metric", "min"];
  const inputs = Object.fromEntries(ids.map((id) => [id, document.getElementById(id)]));
  const shown = document.getElementById("shown");
  const none = document.getElementById("none");

  function text(m) {
    return [m.name, m.title, m.description, m.owner, m.framework, m.model_family]
      .concat(m.tags, m.states, Object.keys(m.deployed))
      .filter(Boolean)
      .join(" ")
      .toLowerCase();
  }

  function matches(m, f) {
    const words = f.q.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.every((w) => text(m).includes(w))) return false;
    if (f.tag && !m.tags.includes(f.tag)) return false;
    if (f.state && !m.states.includes(f.state)) return false;
    if (f.framework && m.framework !== f.framework) return false;
    if (f.metric) {
      const value = m.metrics[f.metric];
      if (value === undefined) return false;
      if (f.min !== "" && !(value >= Number(f.min))) return false;
    }
    return true;
  }

  function apply() {
    const f = Object.fromEntries(ids.map((id) => [id, inputs[id].value.trim()]));
    let count = 0;
    document.querySelectorAll("#models > li").forEach((li) => {
      const ok = matches(byName.get(li.dataset.name), f);
      li.hidden = !ok;
      if (ok) count += 1;
    });
    shown.textContent = count + " shown";
    none.hidden = count !== 0;
    const params = new URLSearchParams();
    ids.forEach((id) => { if (f[id]) params.set(id, f[id]); });
    const query = params.toString();
    try {
      history.replaceState(null, "", query ? "?" + query : location.pathname);
    } catch (e) {
      // some browsers refuse it on file:// pages; the filter still works
    }
  }

  const initial = new URLSearchParams(location.search);
  ids.forEach((id) => {
    if (initial.has(id)) inputs[id].value = initial.get(id);
    inputs[id].addEventListener("input", apply);
  });
  apply();
})();
