// Review page: decisions saved at once without a reload, keyboard shortcuts.
(function () {
  "use strict";
  var container = document.getElementById("items");
  if (!container) return;
  var csrf = container.getAttribute("data-csrf");
  var items = Array.prototype.slice.call(container.querySelectorAll("article.item"));
  var current = -1;
  var answeredCounter = document.getElementById("count-answered");
  var SIGN_IN_AGAIN = "Not saved - sign in again.";

  // A link to one question (#item-N, from before the page had pages) whose question is on
  // another page: the server knows which one (?item=N keeps the filters it can).
  var wanted = /^#item-(\d+)$/.exec(window.location.hash);
  if (wanted && !document.getElementById("item-" + wanted[1])) {
    var params = new URLSearchParams(window.location.search);
    params.delete("page");
    params.set("item", wanted[1]);
    window.location.replace(window.location.pathname + "?" + params.toString());
    return;
  }

  // Edits typed into a question and not saved yet: leaving the page (another page, a
  // filter, j past the last question, Bulk accept, Match again) asks first, as it would
  // lose them without a word.
  var unsaved = [];
  function warnBeforeLeaving(e) {
    e.preventDefault();
    e.returnValue = "";
    return "";
  }
  function markUnsaved(article, yes) {
    var at = unsaved.indexOf(article);
    if (yes && at === -1) unsaved.push(article);
    if (!yes && at !== -1) unsaved.splice(at, 1);
    article.classList.toggle("unsaved", yes);
    // listening only while there is something to lose keeps the page in the back/forward
    // cache (adding the same listener twice adds it once)
    if (unsaved.length) window.addEventListener("beforeunload", warnBeforeLeaving);
    else window.removeEventListener("beforeunload", warnBeforeLeaving);
  }

  function focusItem(i) {
    if (i < 0 || i >= items.length) return;
    if (current >= 0) items[current].classList.remove("current");
    current = i;
    items[i].classList.add("current");
    items[i].focus();
    items[i].scrollIntoView({ block: "center" });
  }

  function turnPage(rel) {
    var link = document.querySelector("nav.pager a[rel=" + rel + "]");
    if (!link) return;
    if (items.length) {
      // the question after this page's last one, under the same filters: "page + 1" skips
      // as many questions as the decisions made here took out of a "pending" filter; the
      // question before its first one: the previous page's last, not its top
      var params = new URLSearchParams(window.location.search);
      params.delete("page");
      params.delete("item");
      if (rel === "next") params.set("after", items[items.length - 1].id.replace("item-", ""));
      else params.set("before", items[0].id.replace("item-", ""));
      window.location.href = window.location.pathname + "?" + params.toString();
    } else {
      window.location.href = link.href;
    }
  }

  function save(article, form, status) {
    var data = {
      lock_version: article.getAttribute("data-version"),
      answer: form.elements.answer ? form.elements.answer.value : null,
      comment: form.elements.comment ? form.elements.comment.value : null,
      assignee: form.elements.assignee ? form.elements.assignee.value : null,
      status: status
    };
    return fetch(article.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(data)
    }).then(function (r) {
      // an ended session answers with a login page or an HTML error, not JSON
      var type = r.headers.get("Content-Type") || "";
      if (r.redirected || type.indexOf("application/json") === -1) {
        return { ok: false, body: { error: SIGN_IN_AGAIN } };
      }
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }, function () {
      return { ok: false, body: { error: "Not saved - the server could not be reached." } };
    }).then(function (res) {
      var note = article.querySelector(".save-note") || document.createElement("p");
      note.className = "save-note";
      note.setAttribute("role", "status"); // read out by screen readers, as the page shows it
      article.appendChild(note);
      if (!res.ok) {
        note.textContent = res.body.error || "Not saved.";
        note.classList.add("error");
        // deleted while open: no other save can work, so none is offered
        if (res.body.gone === "questionnaire") {
          container.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        }
        return false;
      }
      markUnsaved(article, false);
      keepAsSaved(form);
      article.setAttribute("data-version", res.body.lock_version);
      // every form of the item (its decision and its other matches) posts the new version
      article.querySelectorAll("input[name=lock_version]").forEach(function (input) {
        input.value = res.body.lock_version;
      });
      article.className = "item current status-" + res.body.status;
      article.querySelector(".state").textContent =
        res.body.status.replace("_", " ") + (res.body.assignee ? " → " + res.body.assignee : "");
      if (typeof res.body.answered === "number" && answeredCounter) {
        answeredCounter.textContent = String(res.body.answered);
      }
      note.classList.remove("error");
      note.textContent = "Saved.";
      return true;
    });
  }

  // The bank's comment was written for the bank's verdict: when the reviewer picks another
  // verdict while the comment box still holds that comment unchanged, it no longer fits.
  // Clear it (never saved silently with the new verdict) and say so; picking the bank's
  // verdict again puts it back. A comment the reviewer edited is theirs: left alone.
  function watchVerdict(form) {
    var bankComment = form.getAttribute("data-bank-comment");
    var bankAnswer = form.getAttribute("data-bank-answer");
    var answer = form.elements.answer, comment = form.elements.comment;
    var hint = form.querySelector(".comment-hint");
    if (bankComment === null || !answer || !comment || !hint) return;
    var cleared = false;
    function quiet() { cleared = false; hint.hidden = true; hint.textContent = ""; }
    answer.addEventListener("change", function () {
      if (answer.value !== bankAnswer && comment.value.trim() === bankComment.trim()) {
        comment.value = "";
        cleared = true;
        hint.textContent = "The bank's comment was written for \u201c" + (bankAnswer || "no verdict") +
          "\u201d: cleared. Write one for \u201c" + (answer.value || "no verdict") + "\u201d.";
        hint.hidden = false;
      } else if (answer.value === bankAnswer && cleared && !comment.value.trim()) {
        comment.value = bankComment;
        quiet();
      }
    });
    comment.addEventListener("input", quiet);
  }

  items.forEach(function (article, i) {
    var form = article.querySelector("form.decision");
    if (!form) return;
    watchVerdict(form);
    form.addEventListener("input", function () { markUnsaved(article, true); });
    form.addEventListener("change", function () { markUnsaved(article, true); });
    // "Use this" on another match replaces what was typed here: that is the reviewer's choice
    var others = article.querySelector("details.alternatives form");
    if (others) others.addEventListener("submit", function () { markUnsaved(article, false); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = e.submitter;
      save(article, form, button ? button.value : "accepted");
      current = i;
    });
    article.addEventListener("click", function () { if (current !== i) focusItem(i); });
  });

  // Back to this page after leaving it anyway: the browser puts the typed text back into the
  // boxes (form restoration), still not saved, and it was then lost by the next page turn
  // without a word. A box whose text is not the one the server sent is unsaved.
  function edited(form) {
    return Array.prototype.some.call(form.elements, function (field) {
      if (field.type === "hidden" || field.tagName === "BUTTON") return false;
      if (field.tagName === "SELECT") return field.selectedIndex !== sentIndex(field);
      return field.value !== field.defaultValue;
    });
  }
  function sentIndex(select) {  // the option the server marked selected, else the first
    for (var i = 0; i < select.options.length; i++) if (select.options[i].defaultSelected) return i;
    return select.options.length ? 0 : -1;
  }
  function keepAsSaved(form) {  // what a save stored is what the boxes hold now
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (o) { o.defaultSelected = o.selected; });
      } else if (field.type !== "hidden" && field.tagName !== "BUTTON") {
        field.defaultValue = field.value;
      }
    });
  }
  window.addEventListener("pageshow", function () {
    items.forEach(function (article) {
      var form = article.querySelector("form.decision");
      if (form && edited(form)) markUnsaved(article, true);
    });
  });

  // a link to one question (?item=N lands on #item-N): j and k go on from that question
  var linked = /^#(item-\d+)$/.exec(window.location.hash);
  if (linked) {
    var at = items.indexOf(document.getElementById(linked[1]));
    if (at !== -1) focusItem(at);
  }

  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "j") {
      // past the last question of the page: the next page (same filters), as a reader expects
      if (current === items.length - 1) turnPage("next"); else focusItem(current + 1);
      e.preventDefault();
    } else if (e.key === "k") {
      if (current === 0) turnPage("prev"); else focusItem(current - 1);
      e.preventDefault();
    }
    else if (e.key === "a" && current >= 0) {
      var at = current, article = items[at];
      // on to the next question once saved, past the page's last one to the next page as j
      // goes; a save that failed keeps its question (and its error) in view
      save(article, article.querySelector("form.decision"), "accepted").then(function (saved) {
        if (!saved) return;
        if (at === items.length - 1) turnPage("next"); else focusItem(at + 1);
      });
      e.preventDefault();
    } else if (e.key === "e" && current >= 0) {
      var field = items[current].querySelector("[name=answer]");
      if (field) field.focus();
      e.preventDefault();
    }
  });
})();
