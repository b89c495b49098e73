// SPDX-License-Identifier: MIT
// app.js - rcptdb-web's page: the public API (/api/v1) in a browser
//
// One small application, no build step, nothing from another site. It
// holds no rule of its own: every check is the API's, and its refusals are
// shown next to the field they name (problem+json "field"), in the API's
// words. Every value is inserted as text (textContent, never HTML), so
// data can never become markup. Each view has its own URL (#/...), so back
// and reload work. The session is the API's cookie (HttpOnly); the CSRF
// token it gives goes in X-CSRF-Token with every change.
"use strict";

(() => {
  const state = { me: null, csrf: "" };
  // Whether this browser signed in (the cookie itself is HttpOnly): only
  // then is the session asked for, so that a first visit makes no 401.
  const SIGNED_IN = "rcptdb-signed-in";
  const main = () => document.getElementById("main");

  // --- DOM: elements built from text, never from HTML ------------------------

  // el("tag", {attr: value, onclick: fn}, child...): children are nodes or
  // strings (text nodes); null and false children are skipped.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "value") node.value = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function say(text) {
    const s = document.getElementById("status");
    s.textContent = text;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { s.textContent = ""; }, 6000);
  }

  // --- the API -------------------------------------------------------------------

  // Requests in flight, on <html data-busy>: tests wait for 0 before they look.
  let inFlight = 0;
  const busy = (n) => { inFlight += n; document.documentElement.dataset.busy = String(inFlight); };

  async function api(method, path, body, headers) {
    busy(+1);
    try {
      return await request(method, path, body, headers);
    } finally {
      setTimeout(() => busy(-1), 0);  // after the caller has drawn what it got
    }
  }

  async function request(method, path, body, headers) {
    const h = Object.assign({}, headers || {});
    if (body !== undefined) h["Content-Type"] = "application/json";
    if (method !== "GET" && state.csrf) h["X-CSRF-Token"] = state.csrf;
    let res;
    try {
      res = await fetch(path, { method, credentials: "same-origin", headers: h,
                                body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      return { status: 0, json: { detail: "the server cannot be reached: " + e.message } };
    }
    let json = null;
    const type = res.headers.get("Content-Type") || "";
    if (type.includes("json")) json = await res.json();
    if (res.status === 401) {
      localStorage.removeItem(SIGNED_IN);
      if (!path.endsWith("/api/v1/session")) {
        state.me = null;
        go("#/signin");
      }
    }
    return { status: res.status, json, headers: res.headers };
  }

  const enc = encodeURIComponent;
  const domainPath = (d) => "/api/v1/domains/" + enc(d);
  const localOf = (address) => address.slice(0, address.lastIndexOf("@"));

  // --- values in the admin's units -------------------------------------------------

  const UNITS = [["TiB", 2 ** 40], ["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]];
  function formatQuota(bytes) {
    if (!bytes) return "no limit";
    for (const [name, size] of UNITS)
      if (bytes >= size && bytes % size === 0) return bytes / size + " " + name;
    for (const [name, size] of UNITS)
      if (bytes >= size) return (bytes / size).toFixed(1) + " " + name;
    return bytes + " bytes";
  }

  // A quota entry: a number and a unit; 0 or empty means no limit.
  function quotaInput(id, bytes) {
    let value = "", unit = "GiB";
    if (bytes) {
      for (const [name, size] of UNITS)
        if (bytes % size === 0) { value = String(bytes / size); unit = name; break; }
      if (!value) { value = String(bytes / 2 ** 20); unit = "MiB"; }
    }
    const number = el("input", { id, name: "quota", type: "number", min: "0", step: "any",
                                 inputmode: "decimal", value, "aria-describedby": id + "-hint " + id + "-error" });
    const select = el("select", { id: id + "-unit", "aria-label": "Quota unit" },
                      ...["MiB", "GiB", "TiB"].map((u) => el("option", { value: u, selected: u === unit }, u)));
    return { nodes: el("span", { class: "inline" }, number, select),
             bytes: () => {
               const n = Number(number.value || 0);
               const size = { MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 }[select.value];
               return Math.round(n * size);
             } };
  }

  // 18 random bytes as 24 letters and digits: a password shown once.
  function generatePassword() {
    const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_";
    const bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
  }

  // --- refusals in the API's words ------------------------------------------------

  // The words of a refusal: the API's detail (a 429's says when to try
  // again). An answer without one, a proxy's, is named by its status, and
  // by its Retry-After.
  function detailOf(r) {
    if (r.json && r.json.detail) return r.json.detail;
    const wait = r.headers && r.headers.get("Retry-After");
    return `the request failed (${r.status})` + (wait ? `; try again in ${wait} s` : "");
  }

  // A 412: the record changed since this page read it.
  const staleText = (what) =>
    `Someone else changed ${what} since this page was loaded, so your change was not saved.`;

  // --- forms: a field per value, its error beside it --------------------------------

  let uid = 0;
  // field("Label", input, hint): the label, the control and its error line.
  function field(label, control, hint) {
    const input = control.matches && control.matches("input,select,textarea")
      ? control : control.querySelector("input,select,textarea");
    if (!input.id) input.id = "f" + ++uid;
    const errorId = input.id + "-error";
    const hintId = input.id + "-hint";
    const describedBy = [hint ? hintId : null, errorId].filter(Boolean).join(" ");
    input.setAttribute("aria-describedby", describedBy);
    return el("div", { class: "field" },
              el("label", { for: input.id }, label), control,
              hint ? el("span", { class: "hint", id: hintId }, hint) : null,
              el("span", { class: "error", id: errorId }));
  }

  function clearErrors(form) {
    for (const n of form.querySelectorAll("[aria-invalid]")) n.removeAttribute("aria-invalid");
    for (const n of form.querySelectorAll(".error")) n.textContent = "";
    form.querySelector(".form-error").classList.remove("done");
  }

  // Says above the form that it was done, in the colour of success (the
  // box is the refusals', so a screen reader hears it the same way).
  function showDone(form, text) {
    const box = form.querySelector(".form-error");
    box.textContent = text;
    box.classList.add("done");
    box.focus();
  }

  // Shows a refusal next to the field it names (the last part of the
  // API's field: "items[0].body.local" is "local"), else above the form.
  function showProblem(form, problem, fallback) {
    const p = problem || {};
    const detail = p.detail || fallback || "the request failed";
    const name = (p.field || "").split(".").pop().replace(/\[\d+\]$/, "");
    const input = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
    if (input) {
      input.setAttribute("aria-invalid", "true");
      document.getElementById(input.id + "-error").textContent = detail;
      input.focus();
    } else {
      const box = form.querySelector(".form-error");
      box.textContent = detail;
      box.focus();
    }
  }

  // form(title, fields, submitLabel, onSubmit): onSubmit(form) returns
  // true when done; a refusal it shows itself with showProblem.
  function form(title, fields, submitLabel, onSubmit) {
    const f = el("form", { class: "card", novalidate: true },
                 title ? el("h2", {}, title) : null,
                 el("div", { class: "error form-error", role: "alert", tabindex: "-1" }),
                 el("div", { class: "fields" }, fields),
                 el("p", {}, el("button", { type: "submit" }, submitLabel)));
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(f);
      const button = f.querySelector("button[type=submit]");
      button.disabled = true;
      try { await onSubmit(f); } finally { button.disabled = false; }
    });
    return f;
  }

  const input = (name, props) => el("input", Object.assign({ name, type: "text" }, props || {}));

  // table(headers, rows, kind): the ARIA roles keep a table's meaning for a
  // screen reader where the CSS lays it out otherwise (a phone's stacked
  // rows, the mailboxes' grid rows).
  function table(headers, rows, kind) {
    for (const tr of rows) {
      if (tr.hasAttribute("role")) continue;  // made with them (a cloned row)
      tr.setAttribute("role", "row");
      for (const cell of tr.cells) cell.setAttribute("role", "cell");
    }
    return el("div", { class: "scroll" },
              el("table", { class: kind ? "records " + kind : "records", role: "table" },
                 el("thead", { role: "rowgroup" },
                    el("tr", { role: "row" },
                       headers.map((h) => el("th", { scope: "col", role: "columnheader" }, h)))),
                 el("tbody", { role: "rowgroup" }, rows)));
  }
  // td(label, ...content): a cell that names its column on a phone.
  const td = (label, ...content) => el("td", { "data-label": label }, ...content);

  // A record's state: tag(active) makes one, setTag(span, active) changes one.
  function setTag(span, active) {
    span.className = "tag " + (active ? "on" : "disabled");
    span.textContent = active ? "active" : "disabled";
    return span;
  }
  const tag = (active) => setTag(el("span"), active);

  // --- the frame: heading, navigation, who is signed in ------------------------------

  function page(title, ...content) {
    const m = main();
    m.replaceChildren();
    document.title = title + " \u2013 rcptdb";
    const h1 = el("h1", { tabindex: "-1" }, title);
    m.append(h1, ...content.flat(Infinity).filter((c) => c !== null && c !== undefined));
    h1.focus();
    return m;
  }

  // The bar is rebuilt only when who is signed in changes; moving between
  // views moves aria-current.
  function renderFrame() {
    const nav = document.getElementById("nav");
    const who = document.getElementById("who");
    const key = state.me ? state.me.kind + "\n" + state.me.login : "";
    if (renderFrame.key !== key) {
      renderFrame.key = key;
      nav.replaceChildren();
      who.replaceChildren();
      if (!state.me) return;
      const links = state.me.kind === "mailbox"
        ? [["#/account", "My account"]]
        : [["#/domains", "Domains"], ["#/admins", "Administrators"], ["#/check", "Check an address"],
           ["#/activity", "Activity"], ["#/account", "My account"]];
      for (const [href, text] of links) nav.append(el("a", { href }, text));
      who.append("Signed in as ", el("strong", {}, state.me.login),
                 el("button", { type: "button", class: "secondary", onclick: signOut }, "Sign out"));
    }
    const here = location.hash;
    for (const a of nav.children) {
      if (here.startsWith(a.getAttribute("href"))) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  async function signOut() {
    await api("DELETE", "/api/v1/session");
    localStorage.removeItem(SIGNED_IN);
    state.me = null;
    state.csrf = "";
    go("#/signin");
  }

  // --- routing: each view has its own URL --------------------------------------------

  function go(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  }

  // The query of a view's URL (#/view?q=x&cursor=y).
  function hashQuery() {
    const i = location.hash.indexOf("?");
    return new URLSearchParams(i < 0 ? "" : location.hash.slice(i + 1));
  }

  const ROUTES = [
    [/^#\/signin$/, () => viewSignIn()],
    [/^#\/domains$/, () => viewDomains()],
    [/^#\/domain\/([^/?]+)\/(mailboxes|aliases|catchall|relay|senders)(?:\?.*)?$/,
     (m) => viewDomain(decodeURIComponent(m[1]), m[2])],
    [/^#\/check(?:\/(.*))?$/, (m) => viewCheck(m[1] ? decodeURIComponent(m[1]) : "")],
    [/^#\/activity(?:\?.*)?$/, () => viewActivity()],
    [/^#\/admins$/, () => viewAdmins()],
    [/^#\/account$/, () => viewAccount()],
  ];

  async function render() {
    if (!state.me && location.hash !== "#/signin") {
      const r = localStorage.getItem(SIGNED_IN) ? await api("GET", "/api/v1/session") : {};
      if (r.status === 200) {
        state.me = r.json;
        state.csrf = r.json.csrf_token;
      } else {
        return go("#/signin");
      }
    }
    renderFrame();
    const hash = location.hash || "";
    for (const [re, view] of ROUTES) {
      const m = hash.match(re);
      if (m) return view(m);
    }
    go(state.me ? home() : "#/signin");
  }

  // A server admin may change everything (Authorize's server_only); a
  // read-only one sees everything but changes nothing.
  const serverAdmin = () => state.me.domains === null && !state.me.read_only;

  const home = () => (state.me && state.me.kind === "mailbox" ? "#/account" : "#/domains");

  // --- sign in ----------------------------------------------------------------------

  function viewSignIn() {
    if (state.me) return go(home());
    const login = input("login", { autocomplete: "username", autocapitalize: "none", required: true });
    const password = input("password", { type: "password", autocomplete: "current-password",
                                         required: true });
    page("Sign in",
         el("p", { class: "lead" },
            "Administrators sign in with their login; mailbox owners with their address."),
         form(null, [field("Login or address", login), field("Password", password)], "Sign in",
              async (f) => {
                const r = await api("POST", "/api/v1/session",
                                    { login: login.value.trim(), password: password.value });
                if (r.status === 201) {
                  state.me = r.json;
                  state.csrf = r.json.csrf_token;
                  localStorage.setItem(SIGNED_IN, "1");
                  return go(home());
                }
                password.value = "";
                if (r.status === 429) return showProblem(f, { detail: detailOf(r) });
                showProblem(f, { detail: "Sign-in failed: the login or the password is wrong, or the account is disabled." });
              }));
    login.focus();
  }

  // --- domains --------------------------------------------------------------------------

  async function allPages(path) {
    const items = [];
    let cursor = null;
    do {
      const r = await api("GET", path + (path.includes("?") ? "&" : "?") + "limit=1000" +
                          (cursor ? "&cursor=" + enc(cursor) : ""));
      if (r.status !== 200) return { error: r };
      items.push(...r.json.items);
      cursor = r.json.next;
    } while (cursor);
    return { items };
  }

  async function viewDomains() {
    const server = serverAdmin();
    const { items, error } = await allPages("/api/v1/domains");
    if (error) return page("Domains", el("p", { class: "notice bad" }, detailOf(error)));
    const rows = items.map((d) => el("tr", {},
      td("Domain", el("a", { href: `#/domain/${enc(d.name)}/${d.kind === "relay" ? "relay" : "mailboxes"}` }, d.name)),
      td("Kind", d.kind === "alias" ? `alias of ${d.target}` : d.kind),
      td("State", tag(d.active)),
      td("Transport", d.transport || el("span", { class: "off" }, "\u2014")),
      server ? el("td", { class: "actions", "data-label": "Actions" },
        el("button", { type: "button", class: "secondary", onclick: async () => {
          const r = await api("PATCH", domainPath(d.name), { active: !d.active },
                              { "If-Match": `"${d.version}"` });
          if (r.status === 200) { say(`${d.name}: ${r.json.active ? "enabled" : "disabled"}`); render(); }
          else staleOrSay(r, `domain ${d.name}`);
        } }, d.active ? "Disable" : "Enable"),
        el("button", { type: "button", class: "secondary",
                       onclick: (ev) => editDomainTransport(ev.target.closest("tr"), d) },
           "Change transport")) : null));
    const headers = ["Domain", "Kind", "State", "Transport"].concat(server ? ["Actions"] : []);
    const content = [
      el("p", { class: "lead" }, server ? "Every domain of this server." : "The domains you hold."),
      items.length ? table(headers, rows) : el("p", {}, "No domains yet."),
    ];
    if (server) content.push(addDomainForm());
    page("Domains", content);
  }

  // A domain's transport, edited in a row under the domain's.
  function editDomainTransport(row, d) {
    const path = domainPath(d.name);
    const transport = input("transport", { value: d.transport || "", spellcheck: "false",
                                           placeholder: d.kind === "relay" ? "smtp:[mx2.example.com]"
                                                                           : "lmtp:inet:127.0.0.1:24" });
    underRow(row, form(`Transport of ${d.name}`,
      [field("Transport", transport, "Where its mail goes; empty: Postfix's default.")], "Save",
      async (f) => {
        const r = await api("PATCH", path, { transport: transport.value.trim() || null },
                            { "If-Match": `"${d.version}"` });
        if (r.status === 200) { say(`${d.name}: transport ${r.json.transport || "Postfix's default"}`); return render(); }
        if (r.status === 412) return showStale(f, path, `domain ${d.name}`, domainNow);
        showProblem(f, r.json);
      }));
  }

  const domainNow = (d) => [
    el("dt", {}, "State"), el("dd", {}, d.active ? "active" : "disabled"),
    el("dt", {}, "Transport"), el("dd", {}, d.transport || "Postfix's default")];

  function addDomainForm() {
    const name = input("name", { autocapitalize: "none", spellcheck: "false" });
    const kind = el("select", { name: "kind" }, el("option", { value: "hosted" }, "hosted (mailboxes here)"),
                    el("option", { value: "relay" }, "relay (backup MX: listed recipients)"),
                    el("option", { value: "alias" }, "alias (of another domain)"));
    const transport = input("transport", { placeholder: "lmtp:inet:127.0.0.1:24", spellcheck: "false" });
    const target = input("target", { placeholder: "example.com", spellcheck: "false" });
    return form("Add a domain", [field("Name", name), field("Kind", kind),
                                 field("Transport", transport, "Where its mail goes (hosted: LMTP; relay: the next hop, e.g. smtp:[mx2.example.com])."),
                                 field("Target (alias domains)", target)], "Add domain",
                async (f) => {
                  const body = { name: name.value.trim(), kind: kind.value };
                  if (transport.value.trim()) body.transport = transport.value.trim();
                  if (target.value.trim()) body.target = target.value.trim();
                  const r = await api("POST", "/api/v1/domains", body);
                  if (r.status !== 201) return showProblem(f, r.json);
                  say(`${r.json.name}: added`);
                  render();
                });
  }

  // A refusal of a change made from a list: 412 shows the current record.
  function staleOrSay(r, what) {
    if (r.status === 412) {
      say(staleText(what) + " The list now shows the current values.");
      render();
    } else {
      say(detailOf(r));
    }
  }

  // --- one domain: tabs ----------------------------------------------------------------

  const TABS = [["mailboxes", "Mailboxes"], ["aliases", "Aliases"], ["catchall", "Catch-all"],
                ["relay", "Relay recipients"], ["senders", "Sender logins"]];

  async function viewDomain(domain, tab) {
    const tabs = el("nav", { class: "tabs", "aria-label": "Parts of " + domain },
                    TABS.map(([id, text]) => el("a", { href: `#/domain/${enc(domain)}/${id}`,
                                                      "aria-current": id === tab ? "page" : false }, text)));
    const views = { mailboxes: tabMailboxes, aliases: tabAliases, catchall: tabCatchall,
                    relay: tabRelay, senders: tabSenders };
    const content = await views[tab](domain);
    page(domain, tabs, content);
    if (tab === "mailboxes") performance.mark("rcptdb-mailboxes-shown");
  }

  // The list part of a tab: a page and links to the next and the first.
  function pager(base, next, query) {
    const links = [];
    if (query.get("cursor")) {
      const first = new URLSearchParams(query);
      first.delete("cursor");
      links.push(el("a", { href: base + (first.toString() ? "?" + first : "") }, "\u2190 First page"));
    }
    if (next) {
      const more = new URLSearchParams(query);
      more.set("cursor", next);
      links.push(el("a", { href: base + "?" + more }, "Next page \u2192"));
    }
    return links.length ? el("nav", { class: "pager", "aria-label": "Pages" }, links) : null;
  }

  function listQuery(limit) {
    const q = hashQuery();
    const p = new URLSearchParams({ limit: String(limit) });
    if (q.get("q")) p.set("q", q.get("q"));
    if (q.get("cursor")) p.set("cursor", q.get("cursor"));
    return p.toString();
  }

  // --- mailboxes ------------------------------------------------------------------------------

  // Search as you type: the URL follows (replaced, so back leaves the view)
  // and only the list is drawn again, so the search box keeps its focus and
  // what is typed while a request is out (an answer to an older search
  // that comes late is dropped).
  async function tabMailboxes(domain) {
    const base = `#/domain/${enc(domain)}/mailboxes`;
    const ask = () => api("GET", `${domainPath(domain)}/mailboxes?${listQuery(100)}`);
    const first = await ask();
    if (first.status !== 200) return el("p", { class: "notice bad" }, detailOf(first));
    const list = el("div", {});
    const show = (r) => {
      if (!reuseMailboxList(list, base, r)) list.replaceChildren(...mailboxList(domain, base, r, hashQuery()));
    };
    show(first);
    const search = el("input", { id: "search", type: "search", name: "q", autocomplete: "off",
                                 spellcheck: "false", value: hashQuery().get("q") || "",
                                 placeholder: "the start of an address" });
    let asked = 0;
    search.addEventListener("input", () => {
      clearTimeout(search.timer);
      search.timer = setTimeout(async () => {
        const q = new URLSearchParams();
        if (search.value) q.set("q", search.value);
        performance.mark("rcptdb-search-typed");
        history.replaceState(null, "", base + (q.toString() ? "?" + q : ""));
        const mine = ++asked;
        const r = await ask();
        if (mine !== asked || !list.isConnected) return;  // a newer search, or another view
        show(r);
        void list.offsetHeight;  // laid out, as a view is when its heading takes the focus
        performance.mark("rcptdb-mailboxes-shown");
      }, 150);
    });
    return [
      el("div", { class: "field", role: "search" }, el("label", { for: "search" }, "Search mailboxes"), search),
      list,
      addMailboxForm(domain),
    ];
  }

  // A page of mailboxes (or why there is none) and the links to others.
  function mailboxList(domain, base, r, query) {
    if (r.status !== 200) return [el("p", { class: "notice bad" }, detailOf(r))];
    let list = el("p", {}, query.get("q") ? "No mailbox starts with that." : "No mailboxes yet.");
    if (r.json.items.length) {
      list = table(["Address", "Description", "State", "Quota", "Transport", "Actions"],
                   r.json.items.map(mailboxRow), "mailboxes");
      list.addEventListener("click", (ev) => mailboxAction(domain, ev));
    }
    return [list, pager(base, r.json.next, query)].filter((x) => x);
  }

  // A page of mailboxes is drawn by cloning one row (its cells, buttons and
  // the texts most rows show) and changing the texts that differ, with one
  // click handler on the table; a search changes the rows already drawn
  // instead of making new ones. A page of 100 then costs 100 clones or
  // fewer, not 1,500 elements and 400 handlers made one by one.
  const mailboxOfRow = new WeakMap();
  let mailboxRowTemplate = null;

  function mailboxRow(m) {
    if (!mailboxRowTemplate) {
      const button = (act, cls, text) => el("button", { type: "button", class: cls, "data-act": act }, text);
      const cell = (label, cls, ...content) => el("td", { class: cls, "data-label": label, role: "cell" }, ...content);
      mailboxRowTemplate = el("tr", { role: "row" },
        cell("Address"), cell("Description", "description", el("span", { class: "off" }, "\u2014")),
        cell("State", null, tag(true)), cell("Quota", "nowrap"),
        cell("Transport", null, el("span", { class: "off" }, "the domain's")),
        cell("Actions", "actions",
             button("active", "secondary", "Disable"), button("edit", "secondary", "Edit"),
             button("password", "secondary", "Reset password"), button("delete", "danger", "Delete")));
    }
    return fillMailboxRow(mailboxRowTemplate.cloneNode(true), m);
  }

  // Shows m in a row made by mailboxRow, changing only what differs.
  function fillMailboxRow(row, m) {
    const [address, description, state, quota, transport, actions] = row.cells;
    const text = (cell, value, none) => {
      const only = cell.firstChild;
      if (!value) {
        if (!cell.firstElementChild) cell.replaceChildren(el("span", { class: "off" }, none));
      } else if (only && only.nodeType === Node.TEXT_NODE && !only.nextSibling) {
        if (only.data !== value) only.data = value;  // the same text node, changed: cheaper to draw
      } else {
        cell.textContent = value;
      }
    };
    text(address, m.address);
    text(description, m.description, "\u2014");
    if (state.firstChild.classList.contains("on") !== m.active) setTag(state.firstChild, m.active);
    text(quota, formatQuota(m.quota));
    text(transport, m.transport, "the domain's");
    const toggle = m.active ? "Disable" : "Enable";
    if (actions.firstChild.textContent !== toggle) actions.firstChild.textContent = toggle;
    mailboxOfRow.set(row, m);
    return row;
  }

  // Shows page r in the mailbox list already drawn in list, if there is
  // one without an open editor; false if there is none to reuse. The rows
  // up to the window's bottom edge change at once; those below it, out of
  // sight, change in the task after the next frame is painted (the table
  // is aria-busy until then), so the answer one sees does not wait for
  // the rest of a page of 100.
  const pendingRows = new WeakMap();  // tbody -> the newest search's rows still to change

  function reuseMailboxList(list, base, r) {
    const shown = list.querySelector("table.mailboxes");
    if (!shown || r.status !== 200 || !r.json.items.length || shown.querySelector("tr.editor")) return false;
    const body = shown.tBodies[0];
    const items = r.json.items;
    const put = (from, to) => {
      for (let i = from; i < to; i++) {
        if (i < body.rows.length) fillMailboxRow(body.rows[i], items[i]);
        else body.append(mailboxRow(items[i]));
      }
    };
    const now = Math.min(items.length, rowsToWindowEnd(body));
    put(0, now);
    while (body.rows.length > items.length) body.lastElementChild.remove();
    const pending = {};
    pendingRows.set(body, pending);  // an older search's pending rows are dropped
    shown.removeAttribute("aria-busy");
    if (now < items.length) {
      shown.setAttribute("aria-busy", "true");
      busy(+1);
      requestAnimationFrame(() => setTimeout(() => {
        if (pendingRows.get(body) === pending) {  // else a newer search has drawn over it
          put(now, items.length);
          shown.removeAttribute("aria-busy");
          void body.offsetHeight;  // laid out: the whole page is drawn
          performance.mark("rcptdb-mailboxes-complete");
        }
        busy(-1);
      }, 0));
    }
    const before = list.querySelector(".pager");
    const after = pager(base, r.json.next, hashQuery());
    if (before && after) before.replaceWith(after);
    else if (before) before.remove();
    else if (after) list.append(after);
    return true;
  }

  // How many of body's rows start above the window's bottom edge, and one
  // more: read from the layout already done, before anything changes.
  function rowsToWindowEnd(body) {
    const rows = body.rows;
    let lo = 0, hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid].getBoundingClientRect().top >= innerHeight) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  }

  // A click on one of a mailbox row's buttons.
  async function mailboxAction(domain, ev) {
    const button = ev.target.closest("button[data-act]");
    const row = button && button.closest("tr");
    const m = row && mailboxOfRow.get(row);
    if (!m) return;
    const path = `${domainPath(domain)}/mailboxes/${enc(localOf(m.address))}`;
    const ifMatch = { "If-Match": `"${m.version}"` };
    switch (button.dataset.act) {
      case "active": {
        const r = await api("PATCH", path, { active: !m.active }, ifMatch);
        if (r.status === 200) { say(`${m.address}: ${r.json.active ? "enabled" : "disabled"}`); render(); }
        else staleOrSay(r, m.address);
        break;
      }
      case "edit": editMailbox(row, m, path); break;
      case "password": resetPassword(row, m, path); break;
      case "delete": {
        if (!confirm(`Delete ${m.address}? Its mail is then refused.`)) return;
        const r = await api("DELETE", path, undefined, ifMatch);
        if (r.status === 204) { say(`${m.address}: deleted`); render(); } else staleOrSay(r, m.address);
        break;
      }
    }
  }

  // An editor in a row of its own under the mailbox's.
  function underRow(row, content) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("editor")) next.remove();
    const editor = el("tr", { class: "editor" }, el("td", { colspan: String(row.cells.length) }, content));
    row.after(editor);
    const first = editor.querySelector("input,select");
    if (first) first.focus();
    return editor;
  }

  // A mailbox's description: free text for people, a wide field.
  function descriptionField(value) {
    const description = input("description", { value, spellcheck: "true" });
    const node = field("Description", description, "For people: the owner's name, a note. Empty: none.");
    node.classList.add("wide");
    return { description, node };
  }

  function editMailbox(row, m, path) {
    const desc = descriptionField(m.description || "");
    const quota = quotaInput("edit-quota-" + ++uid, m.quota);
    const transport = input("transport", { value: m.transport || "", spellcheck: "false",
                                           placeholder: "empty: the domain's" });
    underRow(row, form(`Edit ${m.address}`, [desc.node, field("Quota", quota.nodes, "0 or empty: no limit"),
                                            field("Transport", transport)], "Save",
      async (f) => {
        const r = await api("PATCH", path, { description: desc.description.value.trim(), quota: quota.bytes(),
                                             transport: transport.value.trim() || null },
                            { "If-Match": `"${m.version}"` });
        if (r.status === 200) { say(`${m.address}: saved`); return render(); }
        if (r.status === 412) return showStale(f, path, m.address, mailboxNow);
        showProblem(f, r.json);
      }));
  }

  // 412 in an editor: someone else changed the record; show what it holds
  // now (describe(record) gives its terms and values).
  async function showStale(f, path, what, describe) {
    const now = await api("GET", path);
    const box = f.querySelector(".form-error");
    box.replaceChildren(staleText(what) + " It now holds: ");
    if (now.status === 200) {
      box.append(el("dl", { class: "kv" }, describe(now.json)));
      box.append(el("button", { type: "button", class: "secondary", onclick: render }, "Reload and edit again"));
    }
    box.focus();
  }

  const mailboxNow = (m) => [
    el("dt", {}, "Description"), el("dd", {}, m.description || "none"),
    el("dt", {}, "State"), el("dd", {}, m.active ? "active" : "disabled"),
    el("dt", {}, "Quota"), el("dd", {}, formatQuota(m.quota)),
    el("dt", {}, "Transport"), el("dd", {}, m.transport || "the domain's")];

  function passwordFields(label) {
    const password = input("password", { type: "text", autocomplete: "new-password", spellcheck: "false" });
    const generate = el("button", { type: "button", class: "secondary", onclick: () => {
      password.value = generatePassword();
      password.focus();
      password.select();
    } }, "Generate");
    return { password, node: field(label, el("span", { class: "inline" }, password, generate),
                                   "Type one, or generate one and give it to the owner: it is not shown again.") };
  }

  function resetPassword(row, m, path) {
    const pw = passwordFields("New password");
    underRow(row, form(`New password for ${m.address}`, [pw.node], "Set password", async (f) => {
      const r = await api("PATCH", path, { password: pw.password.value });
      if (r.status !== 200) return showProblem(f, r.json);
      say(`${m.address}: password set`);
      render();
    }));
  }

  function addMailboxForm(domain) {
    const local = input("local", { autocapitalize: "none", spellcheck: "false" });
    const pw = passwordFields("Password");
    const quota = quotaInput("new-quota", 0);
    const transport = input("transport", { spellcheck: "false", placeholder: "empty: the domain's" });
    const desc = descriptionField("");
    return form("Add a mailbox", [
      field("Address", el("span", { class: "inline" }, local, "@" + domain)), pw.node, desc.node,
      field("Quota", quota.nodes, "0 or empty: no limit"), field("Transport", transport)],
      "Add mailbox", async (f) => {
        const body = { local: local.value.trim(), quota: quota.bytes() };
        if (pw.password.value) body.password = pw.password.value;
        if (desc.description.value.trim()) body.description = desc.description.value.trim();
        if (transport.value.trim()) body.transport = transport.value.trim();
        const r = await api("POST", `${domainPath(domain)}/mailboxes`, body);
        if (r.status !== 201) return showProblem(f, r.json);
        say(`${r.json.address}: added`);
        render();
      });
  }

  // --- aliases, catch-all, relay recipients, sender logins ----------------------------------

  async function tabAliases(domain) {
    const base = `#/domain/${enc(domain)}/aliases`;
    const query = hashQuery();
    const r = await api("GET", `${domainPath(domain)}/aliases?${listQuery(100)}`);
    if (r.status !== 200) return el("p", { class: "notice bad" }, detailOf(r));
    const rows = r.json.items.map((a) => {
      const path = `${domainPath(domain)}/aliases/${enc(localOf(a.source))}`;
      const ifMatch = { "If-Match": `"${a.version}"` };
      return el("tr", {}, td("Source", a.source), td("Targets", a.targets.join(", ")), td("State", tag(a.active)),
        el("td", { class: "actions", "data-label": "Actions" },
           el("button", { type: "button", class: "secondary", onclick: async () => {
             const x = await api("PATCH", path, { active: !a.active }, ifMatch);
             if (x.status === 200) { say(`${a.source}: ${x.json.active ? "enabled" : "disabled"}`); render(); }
             else staleOrSay(x, a.source);
           } }, a.active ? "Disable" : "Enable"),
           el("button", { type: "button", class: "danger", onclick: async () => {
             if (!confirm(`Delete the alias ${a.source}?`)) return;
             const x = await api("DELETE", path, undefined, ifMatch);
             if (x.status === 204) { say(`${a.source}: deleted`); render(); } else staleOrSay(x, a.source);
           } }, "Delete")));
    });
    const local = input("local", { autocapitalize: "none", spellcheck: "false" });
    const targets = el("textarea", { name: "targets", rows: "3", spellcheck: "false" });
    return [
      rows.length ? table(["Source", "Targets", "State", "Actions"], rows) : el("p", {}, "No aliases yet."),
      pager(base, r.json.next, query),
      form("Add an alias", [field("Source", el("span", { class: "inline" }, local, "@" + domain)),
                            field("Targets", targets, "One address per line (or separated by commas); they may be anywhere.")],
           "Add alias", async (f) => {
             const list = targets.value.split(/[\s,]+/).filter(Boolean);
             const x = await api("POST", `${domainPath(domain)}/aliases`, { local: local.value.trim(), targets: list });
             if (x.status !== 201) return showProblem(f, x.json);
             say(`${x.json.source}: added`);
             render();
           }),
    ];
  }

  async function tabCatchall(domain) {
    const r = await api("GET", `${domainPath(domain)}/catchall`);
    const current = r.status === 200 ? r.json.target : "";
    const target = input("target", { value: current, spellcheck: "false", autocapitalize: "none" });
    const parts = [
      el("p", {}, current ? ["Mail for any address of ", domain, " that is neither a mailbox nor an alias goes to ",
                             el("strong", {}, current), "."]
                          : ["No catch-all: mail for unknown addresses of ", domain, " is refused."]),
      form(current ? "Change the catch-all" : "Set a catch-all",
           [field("Target address", target, "A catch-all never takes mail of an existing mailbox or alias.")],
           "Save", async (f) => {
             const x = await api("PUT", `${domainPath(domain)}/catchall`, { target: target.value.trim() });
             if (x.status !== 200) return showProblem(f, x.json);
             say(`${domain}: catch-all ${x.json.target}`);
             render();
           }),
    ];
    if (current)
      parts.push(el("button", { type: "button", class: "danger", onclick: async () => {
        const x = await api("DELETE", `${domainPath(domain)}/catchall`);
        if (x.status === 204) { say(`${domain}: no catch-all`); render(); } else say(detailOf(x));
      } }, "Remove the catch-all"));
    return parts;
  }

  async function tabRelay(domain) {
    const base = `#/domain/${enc(domain)}/relay`;
    const query = hashQuery();
    const r = await api("GET", `${domainPath(domain)}/relay-recipients?${listQuery(100)}`);
    if (r.status !== 200) return el("p", { class: "notice bad" }, detailOf(r));
    const rows = r.json.items.map((x) => el("tr", {}, td("Address", x.address),
      el("td", { class: "actions", "data-label": "Actions" },
         el("button", { type: "button", class: "danger", onclick: async () => {
           const d = await api("DELETE", `${domainPath(domain)}/relay-recipients/${enc(localOf(x.address))}`);
           if (d.status === 204) { say(`${x.address}: deleted`); render(); } else say(detailOf(d));
         } }, "Delete"))));
    const local = input("local", { autocapitalize: "none", spellcheck: "false" });
    return [
      el("p", { class: "lead" }, "A relay domain accepts mail only for the addresses listed here."),
      rows.length ? table(["Address", "Actions"], rows) : el("p", {}, "No relay recipients."),
      pager(base, r.json.next, query),
      form("Add a relay recipient", [field("Address", el("span", { class: "inline" }, local, "@" + domain))],
           "Add", async (f) => {
             const x = await api("POST", `${domainPath(domain)}/relay-recipients`, { local: local.value.trim() });
             if (x.status !== 201) return showProblem(f, x.json);
             say(`${x.json.address}: added`);
             render();
           }),
    ];
  }

  async function tabSenders(domain) {
    const base = `#/domain/${enc(domain)}/senders`;
    const query = hashQuery();
    const r = await api("GET", `${domainPath(domain)}/senders?${listQuery(100)}`);
    if (r.status !== 200) return el("p", { class: "notice bad" }, detailOf(r));
    const rows = r.json.items.map((s) => el("tr", {}, td("Address", s.address), td("Login", s.login),
      td("Rule", s.allow ? "may send as it" : "may not send as it"),
      el("td", { class: "actions", "data-label": "Actions" },
         el("button", { type: "button", class: "danger", onclick: async () => {
           const d = await api("DELETE", `${domainPath(domain)}/senders/${enc(localOf(s.address))}/${enc(s.login)}`);
           if (d.status === 204) { say(`${s.address}: rule for ${s.login} deleted`); render(); } else say(detailOf(d));
         } }, "Delete"))));
    const local = input("local", { autocapitalize: "none", spellcheck: "false" });
    const login = input("login", { autocapitalize: "none", spellcheck: "false" });
    const allow = el("select", { name: "allow" }, el("option", { value: "1" }, "may send as it"),
                     el("option", { value: "0" }, "may not send as it"));
    return [
      el("p", { class: "lead" }, "Which SASL login may use which address of this domain as its sender. A mailbox may always send as itself and as the aliases that lead to it."),
      rows.length ? table(["Address", "Login", "Rule", "Actions"], rows) : el("p", {}, "No sender rules."),
      pager(base, r.json.next, query),
      form("Add a sender rule", [field("Address", el("span", { class: "inline" }, local, "@" + domain)),
                                 field("Login", login), field("Rule", allow)], "Add rule", async (f) => {
        const x = await api("POST", `${domainPath(domain)}/senders`,
                            { local: local.value.trim(), login: login.value.trim(), allow: allow.value === "1" });
        if (x.status !== 201) return showProblem(f, x.json);
        say(`${x.json.address}: rule for ${x.json.login}`);
        render();
      }),
    ];
  }

  // --- check an address ------------------------------------------------------------------------

  async function viewCheck(address) {
    const box = input("address", { value: address, autocapitalize: "none", spellcheck: "false",
                                   placeholder: "someone@example.com" });
    const f = form(null, [field("Address", box, "Any address: what Postfix and Dovecot answer for it, map by map.")],
                   "Check", async () => go("#/check/" + enc(box.value.trim())));
    const parts = [f];
    if (address) {
      const r = await api("GET", "/api/v1/check/" + enc(address));
      if (r.status !== 200) {
        parts.push(el("p", { class: "notice bad" }, detailOf(r)));
      } else {
        const c = r.json;
        parts.push(el("h2", {}, "Verdict"),
          el("dl", { class: "kv" },
             el("dt", {}, "Address"), el("dd", {}, c.normalized || c.address),
             el("dt", {}, "Verdict"), el("dd", {}, c.verdict || c.error),
             c.mailbox ? [el("dt", {}, "Mailbox"), el("dd", {}, c.mailbox)] : null,
             c.transport ? [el("dt", {}, "Transport"), el("dd", {}, c.transport)] : null,
             el("dt", {}, "Dovecot (LMTP)"),
             el("dd", {}, `${c.lmtp.code} ${c.lmtp.enhanced} ${c.lmtp.text}` +
                          (c.lmtp.rewrite ? ` (delivers to ${c.lmtp.rewrite})` : ""))),
          el("h2", {}, "Postfix, map by map"),
          table(["Map", "Key", "Answer", "Why"], Object.entries(c.maps).map(([name, m]) => el("tr", {},
            td("Map", name), td("Key", m.key),
            td("Answer", m.result === "found" ? "found: " + m.value : m.result), td("Why", m.why)))),
          c.path && c.path.length ? [el("h2", {}, "How the resolver got there"),
                                     el("ol", {}, c.path.map((p) => el("li", {}, p)))] : null);
      }
    }
    page("Check an address", parts);
    if (!address) box.focus();
  }

  // --- activity: the audit log ---------------------------------------------------------------------

  async function viewActivity() {
    const query = hashQuery();
    const p = new URLSearchParams({ limit: "50" });
    if (query.get("cursor")) p.set("cursor", query.get("cursor"));
    const r = await api("GET", "/api/v1/audit?" + p);
    if (r.status !== 200) return page("Activity", el("p", { class: "notice bad" }, detailOf(r)));
    const json = (v) => (v === null ? el("span", { class: "off" }, "\u2014")
                                    : el("pre", {}, JSON.stringify(v, null, 1)));
    const rows = r.json.items.map((a) => el("tr", {},
      td("When", new Date(a.time).toLocaleString()),
      td("Who", a.actor), td("From", a.client || "the command line"),
      td("What", `${a.action} ${a.kind} ${a.object}`),
      td("Before", json(a.before)), td("After", json(a.after))));
    page("Activity",
         el("p", { class: "lead" }, state.me.domains === null ? "Every change, newest first."
                                                                : "Changes in your domains, newest first."),
         rows.length ? table(["When", "Who", "From", "What", "Before", "After"], rows) : el("p", {}, "Nothing yet."),
         pager("#/activity", r.json.next, query));
  }

  // --- administrators ---------------------------------------------------------------------------

  async function viewAdmins() {
    const server = serverAdmin();
    const { items, error } = await allPages("/api/v1/admins");
    if (error) return page("Administrators", el("p", { class: "notice bad" }, detailOf(error)));
    const rows = items.map((a) => el("tr", {},
      td("Login", a.login), td("Role", a.role === "server" ? "server admin" : "domain admin"),
      td("Domains", a.role === "server" ? "all" : a.domains.join(", ")), td("State", tag(a.active)),
      td("Last sign-in", a.last_login ? new Date(a.last_login).toLocaleString() : "never"),
      el("td", { class: "actions", "data-label": "Actions" },
         a.login === state.me.login ? null :
         el("button", { type: "button", class: "secondary", onclick: async () => {
           const r = await api("PATCH", "/api/v1/admins/" + enc(a.login), { active: !a.active },
                               { "If-Match": `"${a.version}"` });
           if (r.status === 200) { say(`${a.login}: ${r.json.active ? "enabled" : "disabled"}`); render(); }
           else staleOrSay(r, a.login);
         } }, a.active ? "Disable" : "Enable"))));
    const login = input("login", { autocapitalize: "none", spellcheck: "false" });
    const pw = passwordFields("Password");
    const role = el("select", { name: "role" },
                    el("option", { value: "domain" }, "domain admin: the domains below"),
                    server ? el("option", { value: "server" }, "server admin: everything") : null);
    const domains = input("domains", { spellcheck: "false", autocapitalize: "none",
                                       placeholder: "example.com, example.org" });
    page("Administrators",
         el("p", { class: "lead" }, server ? "Everyone who may sign in to administer this server."
                                           : "The administrators of your domains."),
         table(["Login", "Role", "Domains", "State", "Last sign-in", "Actions"], rows),
         form("Add an administrator", [field("Login", login), pw.node, field("Role", role),
                                       field("Domains", domains, "A domain admin's domains, separated by commas.")],
              "Add administrator", async (f) => {
                const body = { login: login.value.trim(), role: role.value };
                if (pw.password.value) body.password = pw.password.value;
                if (role.value === "domain")
                  body.domains = domains.value.split(/[\s,]+/).filter(Boolean);
                const r = await api("POST", "/api/v1/admins", body);
                if (r.status !== 201) return showProblem(f, r.json);
                say(`${r.json.login}: added`);
                render();
              }));
  }

  // --- my account ----------------------------------------------------------------------------------

  function viewAccount() {
    const me = state.me;
    const current = input("current", { type: "password", autocomplete: "current-password" });
    const fresh = input("new", { type: "password", autocomplete: "new-password" });
    const again = input("again", { type: "password", autocomplete: "new-password" });
    page("My account",
         el("dl", { class: "kv" }, el("dt", {}, "Signed in as"), el("dd", {}, me.login),
            el("dt", {}, "Role"), el("dd", {}, { server: "server admin", domain: "domain admin", mailbox: "mailbox owner" }[me.kind]),
            me.domains ? [el("dt", {}, "Domains"), el("dd", {}, me.domains.join(", ") || "none")] : null),
         form("Change my password", [field("Current password", current), field("New password", fresh),
                                     field("New password again", again)], "Change password", async (f) => {
           if (fresh.value !== again.value)
             return showProblem(f, { field: "again", detail: "again: the two new passwords differ" });
           const r = await api("POST", "/api/v1/me/password", { current: current.value, new: fresh.value });
           current.value = "";
           if (r.status === 204) {
             fresh.value = again.value = "";
             return showDone(f, "Your password is changed.");
           }
           if (r.status === 429) return showProblem(f, { field: "current", detail: detailOf(r) });
           showProblem(f, r.json);
         }));
  }

  // Another view: the last action's message belonged to the one before.
  window.addEventListener("hashchange", () => { say(""); render(); });
  document.addEventListener("DOMContentLoaded", render);
})();
