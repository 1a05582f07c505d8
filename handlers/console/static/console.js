// 值班控制台: count escalations down and keep the board live (Server-Sent
// Events). Without JavaScript the server-rendered page shows the same facts.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var els = document.querySelectorAll(".countdown[data-deadline]");
    for (var i = 0; i < els.length; i++) {
      var left = Math.floor((Date.parse(els[i].getAttribute("data-deadline")) - Date.now()) / 1000);
      if (isNaN(left)) { continue; }
      if (left <= 0) { els[i].textContent = "已到时"; continue; }
      var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      els[i].textContent = h > 0 ? h + " 小时 " + m + " 分" : m + " 分 " + pad(s) + " 秒";
    }
  }
  tick();
  setInterval(tick, 1000);
  var board = document.getElementById("board-live");
  var escalations = document.getElementById("escalations-live");
  if (!window.EventSource || !board) { return; }
  var es = new EventSource("/console/events");
  es.addEventListener("board", function (e) { board.innerHTML = e.data; });
  es.addEventListener("escalations", function (e) { escalations.innerHTML = e.data; tick(); });
})();
