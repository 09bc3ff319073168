// The live sales screen: follows /live/stream (server-sent events) and draws each snapshot.
// Uses only the vendored uPlot and countUp.js; no build step, nothing from the internet.
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const yuanFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const yuan = (fen) => "¥" + yuanFmt.format(Math.floor(fen / 100));
  const num = (n) => yuanFmt.format(n);
  const short = (fen) => {
    const y = fen / 100;
    if (y >= 1e9) return "¥" + (y / 1e9).toFixed(2) + "B";
    if (y >= 1e6) return "¥" + (y / 1e6).toFixed(y >= 1e8 ? 0 : 1) + "M";
    if (y >= 1e4) return "¥" + (y / 1e3).toFixed(0) + "k";
    return "¥" + yuanFmt.format(Math.floor(y));
  };
  const milestoneName = (fen) => {
    const y = fen / 100;
    return y >= 1e9 ? (y / 1e9) + "B" : (y / 1e6) + "M";
  };
  const clock = (s) => {
    s = Math.max(0, Math.floor(s));
    const h = String(Math.floor(s / 3600)).padStart(2, "0");
    const m = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
    return h + ":" + m + ":" + String(s % 60).padStart(2, "0");
  };

  // -- the big figure -------------------------------------------------------------------
  const gmvEl = $("gmv");
  let counter = null;
  let shownYuan = null;
  function showGmv(fen) {
    gmvEl.dataset.fen = String(fen);
    const y = Math.floor(fen / 100);
    if (window.countUp && !counter) {
      counter = new countUp.CountUp(gmvEl, y, {
        prefix: "¥", separator: ",", decimalPlaces: 0, duration: 0.5, startVal: y,
      });
      if (counter.error) counter = null; else counter.start();
    }
    if (!counter) gmvEl.textContent = yuan(fen);
    else if (y !== shownYuan) counter.update(y);  // a repeated value must not restart the roll
    shownYuan = y;
  }

  // -- the charts -----------------------------------------------------------------------
  let curvePlot = null;
  let ratePlot = null;
  function chartWidth(el) { return Math.max(300, el.clientWidth); }
  function makeCurve() {
    const el = $("curve-chart");
    return new uPlot({
      width: chartWidth(el), height: 230, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false } },
      axes: [
        { stroke: "#8391ad", grid: { stroke: "#1c2740" }, values: (u, v) => v.map((m) => m + "m") },
        { stroke: "#8391ad", grid: { stroke: "#1c2740" }, size: 70, values: (u, v) => v.map(short) },
      ],
      series: [{}, { stroke: "#ff5a36", width: 3, fill: "rgba(255,90,54,.12)" },
        { stroke: "#4da3ff", width: 2, dash: [6, 4] }],
    }, [[], [], []], el);
  }
  function makeRate() {
    const el = $("rate-chart");
    return new uPlot({
      width: chartWidth(el), height: 80, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false } },
      axes: [{ show: false }, { stroke: "#8391ad", size: 70, grid: { show: false }, values: (u, v) => v.map(short) }],
      series: [{}, { stroke: "#ffc53d", width: 1, fill: "rgba(255,197,61,.25)", paths: uPlot.paths.bars({ size: [0.9] }) }],
    }, [[], []], el);
  }
  function recordAt(record, minutes) {
    const xs = record.minutes, ys = record.curve;
    if (!xs.length) return null;
    if (minutes <= xs[0]) return ys[0];
    for (let i = 1; i < xs.length; i++) {
      if (minutes <= xs[i]) return ys[i - 1] + (ys[i] - ys[i - 1]) * (minutes - xs[i - 1]) / (xs[i] - xs[i - 1]);
    }
    return ys[ys.length - 1];
  }
  function drawCurve(s) {
    if (!window.uPlot) return;
    curvePlot = curvePlot || makeCurve();
    const now = s.elapsed_s / 60;
    const horizon = Math.max(15, Math.ceil(now * 1.25));
    const step = Math.max(1, Math.ceil(horizon / 400));
    const byMinute = new Map();
    s.curve_minutes.forEach((m, i) => byMinute.set(m, s.curve_gmv[i]));
    const xs = [], ours = [], theirs = [];
    let running = 0;
    for (let m = 0; m <= horizon; m += step) {
      for (let k = Math.max(1, m - step + 1); k <= m; k++) if (byMinute.has(k)) running = byMinute.get(k);
      xs.push(m);
      ours.push(m <= now + step ? (m === 0 ? 0 : Math.min(running, s.gmv.gross)) : null);
      theirs.push(recordAt(s.record, m));
    }
    xs.push(now); ours.push(s.gmv.gross); theirs.push(recordAt(s.record, now));
    const order = xs.map((x, i) => i).sort((a, b) => xs[a] - xs[b]);
    curvePlot.setData([order.map((i) => xs[i]), order.map((i) => ours[i]), order.map((i) => theirs[i])]);
  }
  function drawRate(s) {
    if (!window.uPlot) return;
    ratePlot = ratePlot || makeRate();
    const xs = s.recent_gmv.map((_, i) => s.recent_start_s + i);
    ratePlot.setData([xs, s.recent_gmv]);
  }

  // -- the panels -----------------------------------------------------------------------
  function bars(id, rows, label) {
    const el = $(id);
    const top = rows.length ? rows[0][1] : 0;
    el.replaceChildren(...rows.map((r) => {
      const li = document.createElement("li");
      const fill = document.createElement("div");
      fill.className = "fillbar";
      fill.style.width = (top ? (100 * r[1] / top) : 0) + "%";
      const name = document.createElement("span");
      name.textContent = label ? label(r[0]) : r[0];
      const value = document.createElement("span");
      value.textContent = short(r[1]);
      li.append(fill, name, value);
      return li;
    }));
  }
  function milestones(s) {
    const el = $("milestones");
    const items = s.milestones.map((m) => {
      const li = document.createElement("li");
      li.className = "done";
      li.innerHTML = "<b></b><span></span>";
      li.firstChild.textContent = milestoneName(m.fen);
      li.lastChild.textContent = "T+" + clock(m.elapsed_s);
      return li;
    });
    const next = document.createElement("li");
    next.className = "next";
    next.innerHTML = "<b></b><span></span>";
    next.firstChild.textContent = milestoneName(s.next_milestone);
    next.lastChild.textContent = "next";
    el.replaceChildren(...items, next);
  }
  function alerts(s) {
    const el = $("alerts");
    $("rings-open").textContent = s.rings_open + " open · " + num(s.flagged_orders) + " orders held out";
    if (!s.alerts.length) return;
    el.replaceChildren(...s.alerts.map((a) => {
      const li = document.createElement("li");
      li.className = a.status;
      const head = document.createElement("b");
      head.textContent = a.ring_id + " · " + a.kind + " · " + a.status;
      const body = document.createElement("div");
      body.textContent = a.orders + " orders, " + a.buyers + " buyers, " + yuan(a.gmv) +
        ", subsidy " + yuan(a.subsidy) + ", score " + a.score.toFixed(2);
      const why = document.createElement("div");
      why.className = "muted";
      why.textContent = a.evidence;
      li.append(head, body, why);
      return li;
    }));
  }
  const pct = (part, whole) => (whole > 0 ? (100 * part / whole) : 0);

  function draw(s) {
    showGmv(s.gmv.gross);
    $("net").textContent = yuan(s.gmv.net);
    $("net-brushing").textContent = yuan(s.gmv.net_of_brushing);
    $("orders").textContent = num(s.orders);
    $("buyers").textContent = num(s.buyers);
    $("gmv-rate").textContent = yuan(s.gmv_per_s);
    $("order-rate").textContent = num(s.orders_per_s);
    $("elapsed").textContent = "T+" + clock(s.elapsed_s);
    const ahead = $("ahead");
    ahead.textContent = (s.record.ahead_by >= 0 ? "ahead by " : "behind by ") + yuan(Math.abs(s.record.ahead_by));
    ahead.className = "ahead " + (s.record.ahead_by >= 0 ? "up" : "down");
    $("record-name").textContent = s.record.at_now === null
      ? "of " + s.record.name + " (" + short(s.record.total) + " in 24 h)"
      : s.record.name + " at this minute: " + short(s.record.at_now) + " · 24 h " + short(s.record.total);
    milestones(s);
    bars("categories", s.categories, (c) => c.replace(/_/g, " "));
    bars("shops", s.shops);
    bars("cities", s.cities);
    const gross = s.gmv.gross;
    $("badged").textContent = pct(s.badged_gmv, gross).toFixed(1) + "%";
    $("badged-bar").style.width = pct(s.badged_gmv, gross) + "%";
    const both = s.pickup[2] + s.shipping[2];
    $("split").textContent = pct(s.pickup[2], both).toFixed(0) + "% · " + pct(s.shipping[2], both).toFixed(0) + "%";
    $("pickup-bar").style.width = pct(s.pickup[2], both) + "%";
    $("subsidy").textContent = short(s.subsidy_spent) + " of " + short(s.subsidy_budget);
    $("subsidy-bar").style.width = Math.min(100, pct(s.subsidy_spent, s.subsidy_budget)) + "%";
    alerts(s);
    const f = s.freshness;
    $("freshness").textContent = "lag " + f.lag_s.toFixed(1) + " s · " + num(f.behind_events) + " behind · seq " + num(f.folded_seq);
    $("fresh-dot").className = "dot " + (f.lag_s <= 1 ? "ok" : "late");
    drawCurve(s);
    drawRate(s);
  }

  // -- the stream -----------------------------------------------------------------------
  let source = null;
  let lastFrame = 0;
  function connect() {
    if (source) source.close();
    source = new EventSource("/live/stream");
    source.addEventListener("snapshot", (msg) => {
      lastFrame = Date.now();
      document.body.dataset.version = msg.lastEventId;
      draw(JSON.parse(msg.data));
    });
    source.onerror = () => {
      $("fresh-dot").className = "dot down";
      $("freshness").textContent = "reconnecting…";
      if (source.readyState === EventSource.CLOSED) {
        fetch("/live/stream?frames=1").then((r) => {
          if (r.status === 401 || r.status === 403) $("signin").hidden = false;
        }).catch(() => {});
      }
    };
  }
  // EventSource retries by itself after a dropped connection (Last-Event-ID); this watchdog
  // also covers a stream that is closed for good or silently stalls.
  setInterval(() => {
    if (Date.now() - lastFrame > 5000 && $("signin").hidden) connect();
  }, 2500);

  async function start() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      const token = decodeURIComponent(m[1]);
      history.replaceState(null, "", location.pathname + location.search);
      const r = await fetch("/live/session", {
        method: "POST", headers: { Authorization: "Bearer " + token }, credentials: "same-origin",
      });
      if (!r.ok) { $("signin").hidden = false; return; }
    }
    lastFrame = Date.now();
    connect();
  }
  window.addEventListener("resize", () => {
    if (curvePlot) curvePlot.setSize({ width: chartWidth($("curve-chart")), height: 230 });
    if (ratePlot) ratePlot.setSize({ width: chartWidth($("rate-chart")), height: 80 });
  });
  start();
})();
