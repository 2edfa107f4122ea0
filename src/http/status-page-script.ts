/**
 * The status page's script, sent inline (its hash is in the CSP). It polls /status and
 * rebuilds each section with createElement and textContent only: every string in the status
 * (file names, messages, rules) comes from files or a target we do not control, and none of it
 * is ever parsed as HTML. Plain ES2020 without template literals, so it sits in this string.
 */
export const STATUS_PAGE_SCRIPT = String.raw`
'use strict';
(function () {
  var POLL_MS = 3000;
  function byId(id) { return document.getElementById(id); }
  function text(value) { return value === null || value === undefined ? '' : String(value); }
  function list(value) { return Array.isArray(value) ? value : []; }
  function el(tag, content, cls) {
    var node = document.createElement(tag);
    if (content !== undefined) node.textContent = text(content);
    if (cls) node.className = cls;
    return node;
  }
  function table(headers, rows) {
    var t = el('table');
    var head = el('tr');
    headers.forEach(function (h) { head.appendChild(el('th', h)); });
    t.appendChild(head);
    rows.forEach(function (cells) {
      var tr = el('tr');
      cells.forEach(function (c) { tr.appendChild(c instanceof Node ? wrap(c) : el('td', c)); });
      t.appendChild(tr);
    });
    return t;
  }
  function wrap(node) { var td = el('td'); td.appendChild(node); return td; }
  function fill(id, node, emptyText, count) {
    var section = byId(id);
    section.replaceChildren(count === 0 ? el('p', emptyText, 'none') : node);
  }
  function actionsText(actions) {
    var parts = Object.keys(actions || {}).filter(function (k) { return actions[k] > 0; }).map(function (k) { return k + ' ' + text(actions[k]); });
    return parts.length === 0 ? 'none' : parts.join(', ');
  }
  function statusCell(value) { return el('span', value, value === 'True' ? 'yes' : value === 'False' ? 'no' : 'unknown'); }

  function renderConditions(s) {
    var rows = list(s.conditions).map(function (c) {
      // Degraded is the one condition where True is the bad news.
      var shown = statusCell(c.status);
      if (c.type === 'Degraded' && c.status !== 'Unknown') shown.className = c.status === 'True' ? 'no' : 'yes';
      return [text(c.type), shown, text(c.reason), text(c.message), text(c.lastTransitionTime)];
    });
    fill('conditions', table(['condition', 'status', 'reason', 'message', 'since'], rows), 'no conditions', rows.length);
  }
  function renderPasses(s) {
    var rows = list(s.recentPasses).map(function (p) {
      return [text(p.startedAt), list(p.triggers).join(', '), el('span', p.result, p.result === 'converged' ? 'yes' : 'no'), text(p.durationMs) + ' ms', actionsText(p.actions)];
    });
    fill('passes', table(['started', 'trigger', 'result', 'duration', 'actions'], rows), 'no pass yet', rows.length);
  }
  function renderFileErrors(s) {
    var errors = list(s.fileErrors);
    var rows = errors.map(function (e) { return [text(e.file), text(e.pointer) || '/', text(e.message)]; });
    var node = table(['file', 'pointer', 'error'], rows);
    var total = typeof s.fileErrorCount === 'number' ? s.fileErrorCount : errors.length;
    if (total > errors.length) {
      var box = el('div');
      box.appendChild(node);
      box.appendChild(el('p', 'showing ' + errors.length + ' of ' + total + ' errors', 'none'));
      node = box;
    }
    fill('file-errors', node, 'every state file is valid', rows.length);
  }
  function renderHeldBack(s) {
    var rows = list(s.heldBack).map(function (h) { return [text(h.file), text(h.reason), list(h.resources).join(', ')]; });
    fill('held-back', table(['file', 'why', 'resources kept as they are'], rows), 'nothing held back', rows.length);
  }
  function renderRepairs(s) {
    var rows = list(s.recentRepairs).map(function (r) {
      var rules = el('pre', list(r.rules).join('\n'));
      return [text(r.time), text(r.kind), text(r.subject), text(r.reason), rules];
    });
    fill('repairs', table(['time', 'action', 'subject', 'reason', 'rules restored'], rows), 'no drift repaired', rows.length);
  }
  function matrixCell(cell) {
    var reaches = cell ? cell.reaches : null;
    var label = reaches === true ? 'reaches' : reaches === false ? 'dropped' : 'unknown';
    var differs = Boolean(cell && cell.differs);
    var node = el('span', differs ? label + ' \u2260 desired' : label, (reaches === true ? 'yes' : reaches === false ? 'no' : 'unknown') + (differs ? ' differs' : ''));
    if (cell && cell.detail) node.title = text(cell.detail);
    return node;
  }
  function renderMatrix(s) {
    var m = s.matrix;
    var section = byId('matrix');
    if (!m || !Array.isArray(m.rows) || !Array.isArray(m.columns) || !Array.isArray(m.cells)) {
      section.replaceChildren(el('p', 'not available: this controller does not compute the live access matrix', 'none'));
      return;
    }
    var differing = 0;
    var rows = m.rows.map(function (row, r) {
      var cells = list(m.cells[r]);
      return [text(row)].concat(m.columns.map(function (_, c) {
        if (cells[c] && cells[c].differs) differing++;
        return matrixCell(cells[c]);
      }));
    });
    var box = el('div');
    box.appendChild(el('p', differing === 0 ? 'the live rules match the desired state' : differing + ' difference(s) to the desired state', differing === 0 ? 'yes' : 'no'));
    box.appendChild(table(['from \u2192 to'].concat(m.columns.map(text)), rows));
    section.replaceChildren(box);
  }
  function render(s) {
    byId('cell').textContent = s.cell ? 'cell ' + text(s.cell) : 'no cell loaded yet';
    var ready = list(s.conditions).filter(function (c) { return c.type === 'Ready'; })[0];
    var badge = byId('ready');
    badge.textContent = ready ? (ready.status === 'True' ? 'Ready' : 'Not ready: ' + text(ready.reason)) : 'unknown';
    badge.className = ready && ready.status === 'True' ? 'yes' : 'no';
    renderConditions(s);
    renderPasses(s);
    renderFileErrors(s);
    renderHeldBack(s);
    renderRepairs(s);
    renderMatrix(s);
  }
  function refresh() {
    fetch('/status', { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
      .then(function (s) {
        render(s);
        byId('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
        byId('updated').className = '';
      })
      .catch(function (error) {
        byId('updated').textContent = 'the controller does not answer (' + text(error && error.message) + '); showing the last answer';
        byId('updated').className = 'no';
      })
      .finally(function () { setTimeout(refresh, POLL_MS); });
  }
  refresh();
})();
`;
