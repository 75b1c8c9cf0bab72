// Upload with a progress bar instead of a frozen page; falls back to the plain form post.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var input = document.getElementById("file");
  var drop = document.getElementById("drop");
  var nameLabel = document.getElementById("file-name");
  var bar = document.getElementById("progress");
  var status = document.getElementById("upload-status");

  input.addEventListener("change", function () {
    nameLabel.textContent = input.files.length ? input.files[0].name : "";
  });
  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    drop.addEventListener(type, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      nameLabel.textContent = input.files[0].name;
    }
  });

  form.addEventListener("submit", function (e) {
    if (!input.files.length) return;
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) {
        bar.value = Math.round((100 * ev.loaded) / ev.total);
        status.textContent = "Uploading… " + bar.value + "%";
      }
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value");
      status.textContent = "Reading the questionnaire and matching answers…";
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
        window.location.assign(xhr.responseURL);
      } else {
        document.open();
        document.write(xhr.responseText);
        document.close();
      }
    });
    xhr.addEventListener("error", function () {
      status.textContent = "The upload failed: check your connection and try again.";
      bar.hidden = true;
    });
    xhr.send(new FormData(form));
  });
})();
