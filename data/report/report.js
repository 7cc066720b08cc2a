/*
 * report.js: draws a verif report page (verif audit --html, verif eval
 * --html) from the JSON document in the page's report-data element: the
 * title and notes, the summary figures, horizontal bar charts (SVG) and a
 * table that can be sorted (click a heading), filtered (text, a value of a
 * list column, flagged rows only) and paged; clicking a row shows its
 * details.  Written for verif; it uses nothing but the DOM, and the page it
 * runs in may not load anything (see src/report/report.h for the document).
 */
(function () {
  'use strict';

  var SVGNS = 'http://www.w3.org/2000/svg';
  var PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
                 '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
                 '#86bcb6', '#d37295', '#8cd17d', '#499894'];

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    append(e, kids);
    return e;
  }

  function svg(tag, attrs, kids) {
    var e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    append(e, kids);
    return e;
  }

  function setAttrs(e, attrs) {
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === 'text') e.textContent = String(attrs[k]);
      else if (k === 'on') Object.keys(attrs.on).forEach(function (ev) {
        e.addEventListener(ev, attrs.on[ev]);
      });
      else e.setAttribute(k, String(attrs[k]));
    });
  }

  function append(e, kids) {
    (kids || []).forEach(function (k) {
      if (k === null || k === undefined) return;
      e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k);
    });
  }

  function fmt(v, format) {
    if (v === null || v === undefined) return '\u2013';
    if (format === 'pct') return (100 * v).toFixed(1) + '%';
    if (format === 'int') return String(Math.round(v));
    if (format === 'num' && typeof v === 'number') {
      return Number.isInteger(v) ? String(v) : v.toFixed(2);
    }
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  function slug(s) {
    return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-');
  }

  /* ---- header and summary --------------------------------------------- */

  function header(doc) {
    var h = el('header', {}, [el('h1', {text: doc.title || 'verif report'})]);
    if (doc.subtitle) h.appendChild(el('p', {'class': 'subtitle', text: doc.subtitle}));
    (doc.notes || []).forEach(function (n) {
      h.appendChild(el('p', {'class': 'note', text: n}));
    });
    return h;
  }

  function summary(items) {
    var dl = el('dl', {'class': 'summary', id: 'summary'});
    items.forEach(function (s) {
      dl.appendChild(el('div', {'class': 'figure'}, [
        el('dt', {text: s.label}),
        el('dd', {id: s.id || null, 'data-value': s.value, text: fmt(s.value, s.format)})
      ]));
    });
    return el('section', {}, [el('h2', {text: 'Summary'}), dl]);
  }

  /* ---- charts ----------------------------------------------------------- */

  /* Distinct values of row[key][*][item] (or row[key][*] for strings). */
  function itemsOf(row, key, item) {
    var seen = {}, out = [];
    (Array.isArray(row[key]) ? row[key] : []).forEach(function (x) {
      var v = item && x && typeof x === 'object' ? x[item] : x;
      if (v !== undefined && v !== null && !seen[v]) {
        seen[v] = true;
        out.push(String(v));
      }
    });
    return out;
  }

  /* A chart counted over the table rows: series are the item values; one
   * bar (category) per value of row[by], or a single bar per item value. */
  function countedChart(spec, rows) {
    var order = spec.order || [];
    var counts = {}, totals = {}, kinds = {};
    rows.forEach(function (r) {
      var its = itemsOf(r, spec.count, spec.item);
      var cat = spec.by ? String(r[spec.by]) : null;
      its.forEach(function (v) {
        kinds[v] = true;
        var c = cat === null ? v : cat;
        counts[c] = counts[c] || {};
        counts[c][v] = (counts[c][v] || 0) + 1;
        totals[c] = (totals[c] || 0) + 1;
      });
    });
    var series = order.filter(function (k) { return kinds[k]; });
    Object.keys(kinds).sort().forEach(function (k) {
      if (series.indexOf(k) < 0) series.push(k);
    });
    var cats;
    if (spec.by) {
      cats = Object.keys(totals).sort(function (a, b) {
        return totals[b] - totals[a] || (a < b ? -1 : 1);
      }).slice(0, spec.top || 25);
    } else {
      cats = order.slice();
      series.forEach(function (k) { if (cats.indexOf(k) < 0) cats.push(k); });
    }
    return {
      id: spec.id, title: spec.title, format: spec.format || 'int',
      stacked: !!spec.by, categories: cats,
      series: spec.by
        ? series.map(function (k) {
            return {name: k, values: cats.map(function (c) { return (counts[c] || {})[k] || 0; })};
          })
        : [{name: spec.count, values: cats.map(function (c) { return (counts[c] || {})[c] || 0; })}]
    };
  }

  function chartMax(ch) {
    var max = 0;
    ch.categories.forEach(function (c, i) {
      var sum = 0;
      ch.series.forEach(function (s) {
        var v = s.values[i] || 0;
        if (ch.stacked) sum += v; else max = Math.max(max, v);
      });
      max = Math.max(max, sum);
    });
    if (ch.format === 'pct') max = Math.max(max, 1);
    return max || 1;
  }

  function legend(ch) {
    if (ch.series.length < 2) return null;
    return el('ul', {'class': 'legend'}, ch.series.map(function (s, i) {
      return el('li', {}, [
        el('span', {'class': 'swatch', style: 'background:' + PALETTE[i % PALETTE.length]}),
        s.name
      ]);
    }));
  }

  function drawChart(ch) {
    var labelW = 300, barW = 520, valueW = 70, rowGap = 6;
    var perBar = ch.stacked ? 1 : ch.series.length;
    var barH = perBar > 1 ? 12 : 16;
    var rowH = perBar * barH + rowGap;
    var height = Math.max(ch.categories.length * rowH, rowH) + 4;
    var max = chartMax(ch);
    var root = svg('svg', {
      'class': 'chart', width: labelW + barW + valueW, height: height,
      viewBox: '0 0 ' + (labelW + barW + valueW) + ' ' + height,
      role: 'img', 'aria-label': ch.title
    });
    ch.categories.forEach(function (cat, ci) {
      var y0 = ci * rowH + 2;
      var label = cat.length > 44 ? cat.slice(0, 43) + '\u2026' : cat;
      root.appendChild(svg('text', {x: labelW - 8, y: y0 + perBar * barH / 2 + 4,
        'class': 'bar-label', 'text-anchor': 'end'}, [svg('title', {text: cat}), label]));
      var x = labelW, total = 0;
      ch.series.forEach(function (s, si) {
        var v = s.values[ci] || 0, w = barW * v / max;
        var y = ch.stacked ? y0 : y0 + si * barH;
        var color = PALETTE[si % PALETTE.length];
        var rect = svg('rect', {x: ch.stacked ? x : labelW, y: y, width: Math.max(w, 0),
          height: barH - 1, fill: color, 'class': 'bar'},
          [svg('title', {text: cat + ' \u2013 ' + s.name + ': ' + fmt(v, ch.format)})]);
        root.appendChild(rect);
        if (ch.stacked) {
          x += w;
          total += v;
        } else {
          root.appendChild(svg('text', {x: labelW + w + 4, y: y + barH - 3,
            'class': 'bar-value', 'data-chart': ch.id, 'data-cat': cat,
            'data-series': s.name, 'data-value': v, text: fmt(v, ch.format)}));
        }
      });
      if (ch.stacked) {
        root.appendChild(svg('text', {x: x + 4, y: y0 + barH - 3, 'class': 'bar-value',
          'data-chart': ch.id, 'data-cat': cat, 'data-series': 'total',
          'data-value': total, text: fmt(total, ch.format)}));
      }
    });
    return el('figure', {'class': 'chart-box', id: 'chart-' + ch.id}, [
      el('figcaption', {text: ch.title}), legend(ch), root]);
  }

  function charts(doc) {
    var rows = doc.table ? doc.table.rows || [] : [];
    var sec = el('section', {'class': 'charts'}, [el('h2', {text: 'Charts'})]);
    (doc.charts || []).forEach(function (spec) {
      var ch = spec.count ? countedChart(spec, rows) : {
        id: spec.id, title: spec.title, format: spec.format || 'num',
        stacked: false, categories: spec.categories || [], series: spec.series || []
      };
      sec.appendChild(drawChart(ch));
    });
    return sec;
  }

  /* ---- the table ---------------------------------------------------------- */

  function cellText(row, col) {
    var v = row[col.key];
    if (col.type === 'list') return itemsOf(row, col.key, col.item).join(' ');
    return v === null || v === undefined ? '' : fmt(v, col.type);
  }

  function renderCell(row, col) {
    var td = el('td', {'class': 'col-' + slug(col.key) + ' t-' + col.type});
    if (col.type === 'list') {
      itemsOf(row, col.key, col.item).forEach(function (v) {
        td.appendChild(el('span', {'class': 'chip chip-' + slug(v), text: v}));
      });
    } else {
      td.textContent = cellText(row, col);
    }
    return td;
  }

  function renderRecords(list, fields) {
    var box = el('div', {'class': 'records'});
    (list || []).forEach(function (rec) {
      var d = el('dl', {'class': 'record'});
      fields.forEach(function (f) {
        if (rec[f] === undefined || rec[f] === null) return;
        var long = typeof rec[f] === 'string' && (rec[f].length > 80 || rec[f].indexOf('\n') >= 0);
        d.appendChild(el('dt', {text: f}));
        d.appendChild(el('dd', {}, [long ? el('pre', {text: rec[f]}) :
          (rec[f] === '' ? el('em', {text: '(empty)'}) : String(rec[f]))]));
      });
      box.appendChild(d);
    });
    return box;
  }

  function renderDetails(row, details, ncols) {
    var box = el('div', {'class': 'details'});
    details.forEach(function (d) {
      var v = row[d.key];
      if (v === undefined || v === null || (Array.isArray(v) && !v.length)) return;
      box.appendChild(el('h4', {text: d.label}));
      if (d.type === 'records') box.appendChild(renderRecords(v, d.fields || []));
      else if (d.type === 'code') box.appendChild(el('pre', {'class': 'code', text: v}));
      else box.appendChild(el('p', {text: fmt(v, d.type)}));
    });
    return el('tr', {'class': 'detail-row'}, [el('td', {colspan: ncols}, [box])]);
  }

  function flagged(row, key) {
    return !!key && Array.isArray(row[key]) && row[key].length > 0;
  }

  function compare(a, b, col) {
    var x = a[col.key], y = b[col.key];
    if (col.type === 'list') {
      x = itemsOf(a, col.key, col.item).length;
      y = itemsOf(b, col.key, col.item).length;
    }
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x).localeCompare(String(y));
  }

  function Table(spec) {
    this.spec = spec;
    this.rows = spec.rows || [];
    this.cols = spec.columns || [];
    this.details = spec.details || [];
    this.pageSize = spec.page_size || 100;
    this.page = 0;
    this.sortCol = -1;
    this.sortDir = 1;
    this.open = {};
    this.rows.forEach(function (r, i) { r.__i = i; });
    this.search = this.rows.map(function (r) {
      return Object.keys(r).map(function (k) {
        var v = r[k];
        return typeof v === 'string' ? v : JSON.stringify(v);
      }).join('\n').toLowerCase();
    });
  }

  Table.prototype.listValues = function () {
    var col = this.cols.filter(function (c) { return c.type === 'list'; })[0];
    if (!col) return null;
    var seen = {};
    this.rows.forEach(function (r) {
      itemsOf(r, col.key, col.item).forEach(function (v) { seen[v] = true; });
    });
    return {col: col, values: Object.keys(seen).sort()};
  };

  Table.prototype.controls = function () {
    var self = this, lv = this.listValues();
    this.q = el('input', {type: 'search', id: 'table-filter', placeholder: 'filter rows (any text)',
      'aria-label': 'filter rows', on: {input: function () { self.page = 0; self.draw(); }}});
    var kids = [this.q];
    if (lv) {
      this.kind = el('select', {id: 'table-kind', 'aria-label': 'only rows with',
        on: {change: function () { self.page = 0; self.draw(); }}},
        [el('option', {value: '', text: 'any ' + lv.col.label})].concat(
          lv.values.map(function (v) { return el('option', {value: v, text: v}); })));
      this.kindCol = lv.col;
      kids.push(this.kind);
    }
    if (this.spec.flag) {
      this.only = el('input', {type: 'checkbox', id: 'table-flagged-only',
        on: {change: function () { self.page = 0; self.draw(); }}});
      this.only.checked = !!this.spec.flag_only;
      kids.push(el('label', {}, [this.only, ' only rows with ' + this.spec.flag]));
    }
    this.prev = el('button', {type: 'button', id: 'table-prev', text: '\u2190 previous',
      on: {click: function () { self.page--; self.draw(); }}});
    this.next = el('button', {type: 'button', id: 'table-next', text: 'next \u2192',
      on: {click: function () { self.page++; self.draw(); }}});
    this.count = el('span', {id: 'table-count'});
    kids.push(this.prev, this.next, this.count);
    return el('div', {'class': 'controls'}, kids);
  };

  Table.prototype.visible = function () {
    var q = this.q.value.trim().toLowerCase(), self = this;
    var kind = this.kind ? this.kind.value : '';
    var only = this.only && this.only.checked;
    var out = this.rows.filter(function (r) {
      if (only && !flagged(r, self.spec.flag)) return false;
      if (kind && itemsOf(r, self.kindCol.key, self.kindCol.item).indexOf(kind) < 0) return false;
      return !q || self.search[r.__i].indexOf(q) >= 0;
    });
    if (this.sortCol >= 0) {
      var col = this.cols[this.sortCol], dir = this.sortDir;
      out.sort(function (a, b) { return dir * compare(a, b, col) || a.__i - b.__i; });
    }
    return out;
  };

  Table.prototype.head = function () {
    var self = this;
    return el('thead', {}, [el('tr', {}, this.cols.map(function (c, i) {
      var th = el('th', {scope: 'col', 'aria-sort': 'none', 'class': 't-' + c.type}, [
        el('button', {type: 'button', text: c.label,
          on: {click: function () {
            self.sortDir = self.sortCol === i ? -self.sortDir : 1;
            self.sortCol = i;
            self.draw();
          }}})]);
      return th;
    }))]);
  };

  Table.prototype.draw = function () {
    var rows = this.visible(), self = this;
    var pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    var first = this.page * this.pageSize, shown = rows.slice(first, first + this.pageSize);
    var body = el('tbody', {});
    shown.forEach(function (r) {
      var tr = el('tr', {'class': flagged(r, self.spec.flag) ? 'flagged' : '',
        tabindex: 0, 'data-row': r.__i,
        on: {click: function () { self.open[r.__i] = !self.open[r.__i]; self.draw(); },
             keydown: function (e) {
               if (e.key === 'Enter') { self.open[r.__i] = !self.open[r.__i]; self.draw(); }
             }}}, self.cols.map(function (c) { return renderCell(r, c); }));
      body.appendChild(tr);
      if (self.open[r.__i]) body.appendChild(renderDetails(r, self.details, self.cols.length));
    });
    this.table.replaceChild(body, this.body);
    this.body = body;
    Array.prototype.forEach.call(this.table.querySelectorAll('th'), function (th, i) {
      th.setAttribute('aria-sort', i !== self.sortCol ? 'none' :
        self.sortDir > 0 ? 'ascending' : 'descending');
    });
    this.count.textContent = rows.length + ' of ' + this.rows.length + ' rows' +
      (pages > 1 ? ', page ' + (this.page + 1) + ' of ' + pages : '');
    this.count.setAttribute('data-shown', rows.length);
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
  };

  Table.prototype.build = function () {
    var nflag = 0, self = this;
    this.rows.forEach(function (r) { if (flagged(r, self.spec.flag)) nflag++; });
    var totals = el('p', {'class': 'totals'}, [
      el('span', {id: 'table-total', 'data-value': this.rows.length, text: String(this.rows.length)}),
      ' rows',
      this.spec.flag ? ', ' : null,
      this.spec.flag ? el('span', {id: 'table-flagged', 'data-value': nflag, text: String(nflag)}) : null,
      this.spec.flag ? ' with ' + this.spec.flag : null,
      '; click a row for its details, a heading to sort.'
    ]);
    this.body = el('tbody', {});
    this.table = el('table', {id: 'report-table'}, [this.head(), this.body]);
    var sec = el('section', {'class': 'table'}, [el('h2', {text: 'Table'}), totals,
      this.controls(), el('div', {'class': 'scroll'}, [this.table])]);
    this.draw();
    return sec;
  };

  /* ---- the page ------------------------------------------------------------- */

  function main() {
    var data = document.getElementById('report-data');
    var root = document.getElementById('report');
    var doc;
    try {
      doc = JSON.parse(data.textContent);
    } catch (e) {
      root.appendChild(el('p', {'class': 'error', text: 'The report data cannot be read: ' + e}));
      return;
    }
    root.textContent = '';
    root.appendChild(header(doc));
    if (doc.summary) root.appendChild(summary(doc.summary));
    if (doc.charts && doc.charts.length) root.appendChild(charts(doc));
    if (doc.table) root.appendChild(new Table(doc.table).build());
    root.setAttribute('data-ready', 'true');
  }

  main();
}());
