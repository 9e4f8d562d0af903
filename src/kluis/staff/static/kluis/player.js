/* Kluis player: logs every play, pause and seek (AUD-1), offers no save or download (ACC-4),
 * and stops the picture as soon as the session is no longer open. */
(function () {
  "use strict";
  var player = document.getElementById("player");
  var video = document.getElementById("footage");
  if (!player || !video) { return; }
  var notice = document.getElementById("player-notice");
  var stopped = false;

  function stop() {
    if (stopped) { return; }
    stopped = true;
    video.pause();
    while (video.firstChild) { video.removeChild(video.firstChild); }
    video.removeAttribute("src");
    video.load();
    notice.textContent = player.dataset.msgEnded;
    notice.hidden = false;
  }

  function post(event) {
    if (stopped) { return; }
    fetch(player.dataset.eventsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": player.dataset.csrf },
      body: JSON.stringify({ event: event, position: video.currentTime })
    }).then(function (response) {
      if (response.status === 403 || response.status === 409) { stop(); }
    });
  }

  ["play", "pause", "seeked", "ended"].forEach(function (name) {
    video.addEventListener(name, function () { post(name); });
  });
  video.addEventListener("error", function () {
    fetch(player.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) { if (!s.open) { stop(); } }, stop);
  });
  // No "save video as" from the context menu, no dragging the video out.
  player.addEventListener("contextmenu", function (e) { e.preventDefault(); });
  video.addEventListener("dragstart", function (e) { e.preventDefault(); });

  var poll = window.setInterval(function () {
    if (stopped) { window.clearInterval(poll); return; }
    fetch(player.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : { open: false }; })
      .then(function (s) { if (!s.open) { stop(); } }, function () {});
  }, 5000);
})();
