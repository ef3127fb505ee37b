// Pan and zoom of the story graph on served pages (the report has no script: its graph is drawn
// at actual size in a scrolling area). Drag or scroll to pan; Ctrl+wheel, the buttons or the + and
// - keys to zoom; 0 for actual size; arrow keys pan. Same-origin script only (the page's
// Content-Security-Policy), and it never writes markup.
(function () {
  'use strict';
  var MIN = 0.4;
  var MAX = 3;
  var STEP = 1.25;
  var PAN = 60;
  document.querySelectorAll('.graph-view').forEach(function (view) {
    var svg = view.querySelector('svg.graph');
    if (!svg) return;
    var width = Number(svg.getAttribute('data-width'));
    var height = Number(svg.getAttribute('data-height'));
    var zoom = 1;
    view.setAttribute('data-zoom', '1');

    // Zooms about a point of the view (its centre by default), keeping that point in place.
    function setZoom(next, cx, cy) {
      var z = Math.min(MAX, Math.max(MIN, next));
      if (cx === undefined) {
        cx = view.clientWidth / 2;
        cy = view.clientHeight / 2;
      }
      var gx = (view.scrollLeft + cx) / zoom;
      var gy = (view.scrollTop + cy) / zoom;
      zoom = z;
      svg.setAttribute('width', String(Math.round(width * z)));
      svg.setAttribute('height', String(Math.round(height * z)));
      view.scrollLeft = gx * z - cx;
      view.scrollTop = gy * z - cy;
      view.setAttribute('data-zoom', String(Math.round(z * 100) / 100));
    }

    var tools = view.parentElement && view.parentElement.querySelector('.graph-tools');
    if (tools)
      tools.addEventListener('click', function (ev) {
        var button = ev.target instanceof Element ? ev.target.closest('button[data-zoom]') : null;
        if (!button) return;
        var action = button.getAttribute('data-zoom');
        setZoom(action === 'in' ? zoom * STEP : action === 'out' ? zoom / STEP : 1);
      });

    view.addEventListener(
      'wheel',
      function (ev) {
        if (!ev.ctrlKey && !ev.metaKey) return; // a plain wheel scrolls: that pans
        ev.preventDefault();
        var r = view.getBoundingClientRect();
        setZoom(ev.deltaY < 0 ? zoom * STEP : zoom / STEP, ev.clientX - r.left, ev.clientY - r.top);
      },
      { passive: false },
    );

    var drag = null;
    view.addEventListener('pointerdown', function (ev) {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, left: view.scrollLeft, top: view.scrollTop };
      view.setPointerCapture(ev.pointerId);
      view.classList.add('dragging');
    });
    view.addEventListener('pointermove', function (ev) {
      if (!drag) return;
      view.scrollLeft = drag.left - (ev.clientX - drag.x);
      view.scrollTop = drag.top - (ev.clientY - drag.y);
    });
    function endDrag() {
      drag = null;
      view.classList.remove('dragging');
    }
    view.addEventListener('pointerup', endDrag);
    view.addEventListener('pointercancel', endDrag);

    view.addEventListener('keydown', function (ev) {
      var key = ev.key;
      if (key === '+' || key === '=') setZoom(zoom * STEP);
      else if (key === '-' || key === '_') setZoom(zoom / STEP);
      else if (key === '0') setZoom(1);
      else if (key === 'ArrowLeft') view.scrollLeft -= PAN;
      else if (key === 'ArrowRight') view.scrollLeft += PAN;
      else if (key === 'ArrowUp') view.scrollTop -= PAN;
      else if (key === 'ArrowDown') view.scrollTop += PAN;
      else return;
      ev.preventDefault();
    });
  });
})();
