// Live story list: polls /api/stories and rebuilds the table with DOM text nodes only (no
// innerHTML: every value here may be attacker-controlled).
(function () {
  'use strict';
  var body = document.getElementById('stories-body');
  var status = document.getElementById('live-status');
  if (!body) return;
  function cell(text, className) {
    var td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }
  function render(stories) {
    var rows = document.createDocumentFragment();
    stories.forEach(function (s) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-story', s.storyId);
      var sev = document.createElement('td');
      var badge = document.createElement('span');
      badge.className = 'sev sev-' + String(s.severity).replace(/[^A-Za-z]/g, '');
      badge.textContent = s.severity;
      sev.appendChild(badge);
      tr.appendChild(sev);
      tr.appendChild(cell(String(s.riskScore)));
      var title = document.createElement('td');
      var a = document.createElement('a');
      a.href = '/story/' + encodeURIComponent(s.storyId);
      a.textContent = s.title;
      title.appendChild(a);
      tr.appendChild(title);
      tr.appendChild(cell((s.workloads || []).join(', '), 'mono'));
      tr.appendChild(cell((s.layers || []).join(' · ')));
      tr.appendChild(cell(s.firstSeen, 'mono'));
      tr.appendChild(cell(s.lastSeen, 'mono'));
      tr.appendChild(cell('v' + s.version));
      rows.appendChild(tr);
    });
    while (body.firstChild) body.removeChild(body.firstChild);
    body.appendChild(rows);
  }
  function poll() {
    fetch('/api/stories', { headers: { accept: 'application/json' } })
      .then(function (r) {
        return r.json();
      })
      .then(function (stories) {
        render(stories);
        if (status) status.textContent = 'live · ' + stories.length + ' stories · ' + new Date().toLocaleTimeString();
      })
      .catch(function () {
        if (status) status.textContent = 'offline';
      })
      .finally(function () {
        setTimeout(poll, 2000);
      });
  }
  setTimeout(poll, 2000);
})();
