/**
 * The script of the report page (plain browser JavaScript, run after Chart.js): draws the four charts from the JSON
 * in #report-data, then writes what it drew into #render-check (charts made, canvases with painted pixels, errors)
 * so a headless browser can tell a rendered page from a blank one.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });
  var consoleError = console.error;
  console.error = function () { errors.push(Array.prototype.join.call(arguments, ' ')); consoleError.apply(console, arguments); };
  var check = document.getElementById('render-check');
  try {
    var data = JSON.parse(document.getElementById('report-data').textContent);
    var COLORS = { surge: '#4e79a7', serving: '#9cc5a1', drain: '#f28e2b', handoff: '#b07aa1', terminate: '#e15759',
                   green: '#59a14f', yellow: '#edc948', red: '#e15759' };
    var hours = function (s) { return s / 3600; };
    Chart.defaults.animation = false;
    Chart.defaults.responsive = false;
    var hoursAxis = { type: 'linear', min: 0, max: hours(data.end), title: { display: true, text: 'hours since the start' } };
    var made = [];
    var lanes = data.nodes.map(function (n) { return n.label; });
    made.push(new Chart(document.getElementById('chart-timeline'), {
      type: 'bar',
      data: {
        labels: lanes,
        datasets: ['surge', 'serving', 'drain', 'handoff', 'terminate'].map(function (phase) {
          return {
            label: phase, backgroundColor: COLORS[phase], grouped: false, barPercentage: 0.8,
            minBarLength: 3,
            data: data.nodes.flatMap(function (n) {
              return n.phases.filter(function (p) { return p.phase === phase; })
                .map(function (p) { return { x: [hours(p.from), hours(p.to)], y: n.label }; });
            })
          };
        })
      },
      options: { indexAxis: 'y', scales: { x: hoursAxis, y: { type: 'category', labels: lanes, ticks: { autoSkip: false } } },
                 plugins: { title: { display: true, text: 'Nodes: surge, serving, drain or handoff, terminate' } } }
    }));
    var level = { green: 0, yellow: 1, red: 2 };
    made.push(new Chart(document.getElementById('chart-health'), {
      type: 'line',
      data: { datasets: [{
        label: 'cluster health', stepped: 'before', pointRadius: 0, borderWidth: 2,
        data: data.health.map(function (s) { return { x: hours(s.t), y: level[s.status] }; }),
        segment: { borderColor: function (ctx) { return [COLORS.green, COLORS.yellow, COLORS.red][ctx.p1.parsed.y]; } }
      }] },
      options: { scales: { x: hoursAxis, y: { min: 0, max: 2, ticks: { stepSize: 1,
                 callback: function (v) { return ['green', 'yellow', 'red'][v]; } } } },
                 plugins: { title: { display: true, text: 'Cluster health' } } }
    }));
    var gib = function (b) { return b / Math.pow(1024, 3); };
    made.push(new Chart(document.getElementById('chart-bytes'), {
      type: 'line',
      data: { datasets: [
        { label: 'moved (GiB)', borderColor: COLORS.surge, pointRadius: 0,
          data: data.bytes.map(function (s) { return { x: hours(s.t), y: gib(s.moved) }; }) },
        { label: 'left on outdated data nodes (GiB)', borderColor: COLORS.drain, pointRadius: 0,
          data: data.bytes.map(function (s) { return { x: hours(s.t), y: gib(s.left) }; }) }
      ] },
      options: { scales: { x: hoursAxis, y: { min: 0, title: { display: true, text: 'GiB' } } },
                 plugins: { title: { display: true, text: 'Bytes moved and bytes left' } } }
    }));
    var predicates = data.blocked.map(function (b) { return b.predicate; })
      .filter(function (p, i, all) { return all.indexOf(p) === i; });
    made.push(new Chart(document.getElementById('chart-blocked'), {
      type: 'bar',
      data: { labels: predicates, datasets: [{
        label: 'blocked by', backgroundColor: COLORS.terminate, grouped: false, minBarLength: 3,
        data: data.blocked.map(function (b) { return { x: [hours(b.from), hours(b.to)], y: b.predicate }; })
      }] },
      options: { indexAxis: 'y', scales: { x: hoursAxis, y: { type: 'category', labels: predicates, ticks: { autoSkip: false } } },
                 plugins: { title: { display: true, text: 'Blocking predicate per interval' } } }
    }));
    var painted = made.map(function (c) {
      var ctx = c.canvas.getContext('2d');
      var px = ctx.getImageData(0, 0, c.canvas.width, c.canvas.height).data;
      var n = 0;
      for (var i = 3; i < px.length; i += 4) if (px[i] !== 0) n++;
      return { id: c.canvas.id, paintedPixels: n };
    });
    check.textContent = JSON.stringify({ charts: made.length, painted: painted, errors: errors });
  } catch (e) {
    errors.push(String(e && e.stack || e));
    check.textContent = JSON.stringify({ charts: 0, painted: [], errors: errors });
  }
})();
`;
