// The reference dashboard: hash routes, one view each, every view a live
// query (or a search over HTTP). See the README's "Dashboard".
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { live, request, checkToken, getToken, setToken, onState, APIError } from './api.js';
import { h, replace, fmt, signed, words, marked } from './dom.js';

const main = document.getElementById('main');
const statuses = ['NOT_STARTED', 'IN_PROGRESS', 'BLOCKED', 'DONE', 'CANCELLED'];
const activityStatuses = ['PIPELINE', 'IMPLEMENTATION', 'FINALISATION', 'CLOSED', 'CANCELLED', 'SUSPENDED'];
const pageSize = 20;

// ─── Shell: live indicator, sign-in, routes ─────────────────────────────────

const indicator = document.getElementById('live');
onState((s) => {
  indicator.dataset.state = s;
  indicator.textContent = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…' }[s];
});

let viewer = null; // {role, name, …} when signed in
const signin = document.getElementById('signin');

// signIn keeps token (empty: signs out), checks it, and redraws the view
// with the new credentials; a token the server refuses is forgotten.
async function signIn(token) {
  viewer = null;
  let refused = null;
  if (token) {
    try {
      viewer = await checkToken(token);
      if (!viewer) throw new APIError([{ message: 'the token signs in no one', extensions: { code: 'UNAUTHENTICATED' } }]);
    } catch (err) {
      refused = err;
      viewer = null;
      token = '';
    }
  }
  setToken(token);
  renderSignin(refused);
  route();
}
function renderSignin(refused) {
  if (viewer) {
    replace(signin,
      h('span', { class: 'who' }, `Signed in: ${viewer.name || viewer.subject} (${words(viewer.role)})`),
      h('button', { type: 'button', onclick: () => signIn('') }, 'Sign out'));
    return;
  }
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', placeholder: 'paste an API token', required: true });
  replace(signin, h('form', { onsubmit: (e) => { e.preventDefault(); signIn(input.value.trim()); } },
    h('label', { for: 'token' }, 'Officer token'), input, h('button', { type: 'submit' }, 'Sign in'),
    refused ? h('p', { role: 'alert', class: 'signin-error' }, `The token was not accepted: ${refused.message}`) : null));
}

const errorBox = document.getElementById('error');
function showError(err, context = '') {
  const code = err instanceof APIError ? ` (${err.code})` : '';
  const hint = err.code === 'UNAUTHENTICATED' ? ' This server needs a token to read: paste one above.' : '';
  errorBox.hidden = false;
  replace(errorBox, `${context ? context + ': ' : ''}${err.message}${code}${hint}`);
}
function clearError() {
  errorBox.hidden = true;
}

let cleanup = () => {};
function route() {
  cleanup();
  clearError();
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const [view, arg] = path.split('/');
  const params = new URLSearchParams(query || '');
  const views = { '': overview, initiative, statistics, organizations, search };
  const fn = views[view] || overview;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === (views[view] ? view : '')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  cleanup = fn(decodeURIComponent(arg || ''), params) || (() => {});
  main.focus({ preventScroll: true });
}
addEventListener('hashchange', route);

// follow runs a live query for a view and draws each result into main,
// keeping the keyboard focus on the same control across a redraw.
function follow(name, variables, draw) {
  return live(name, variables, (data) => {
    clearError();
    const key = focusKey(document.activeElement);
    draw(data);
    if (key) [...main.querySelectorAll('button, a[href]')].find((el) => focusKey(el) === key)?.focus({ preventScroll: true });
  }, (err) => showError(err, name));
}

// focusKey names a control of main by what it does, or '' outside main.
function focusKey(el) {
  if (!el || el === main || !main.contains(el)) return '';
  return [el.tagName, el.dataset.cite, el.dataset.field, el.dataset.id, el.getAttribute('href'), el.closest('[data-slug]')?.dataset.slug, el.textContent].join('|');
}

// ─── Provenance ─────────────────────────────────────────────────────────────

const provenance = document.getElementById('provenance');
provenance.querySelector('.close').addEventListener('click', () => provenance.close());

// cited makes content a button showing the source of one fact: field of the
// object id (null: the object as a whole).
function cited(content, id, field, label) {
  return h('button', { type: 'button', class: 'cited', 'data-cite': id, 'data-field': field || '',
    title: 'Show the source', 'aria-label': label ? `${label}: show the source` : null,
    onclick: () => showProvenance(id, field, label) }, content);
}

async function showProvenance(id, field, label) {
  const body = provenance.querySelector('.body');
  replace(provenance.querySelector('h2'), label ? `Source: ${label}` : 'Source');
  replace(body, h('p', {}, 'Loading…'));
  if (!provenance.open) provenance.showModal();
  try {
    const { node } = await request('Provenance', { id });
    const all = node?.citations?.nodes || [];
    let shown = field ? all.filter((c) => c.field === field) : all.filter((c) => c.field == null);
    if (shown.length === 0) shown = all;
    const items = shown.map((c) => h('li', {},
      h('blockquote', { class: 'excerpt' }, `“${c.excerpt}”`),
      c.field ? h('p', { class: 'field' }, `Supports: ${c.field}`) : null,
      sourceLine(c.source)));
    if (items.length === 0 && node?.source) {
      items.push(h('li', {}, node.note ? h('blockquote', { class: 'excerpt' }, node.note) : null, sourceLine(node.source)));
    }
    replace(body, items.length ? h('ul', { class: 'citations' }, items) : h('p', {}, 'No source excerpt is recorded for this fact.'));
  } catch (err) {
    replace(body, h('p', { role: 'alert' }, `Could not load the source: ${err.message}`));
  }
}

function sourceLine(s) {
  const when = s.publishedAt ? new Date(s.publishedAt).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }) : 'undated';
  return h('p', { class: 'source' }, '— ', h('cite', {}, s.title), s.publication ? `, ${s.publication}` : '', `, ${when}`,
    /^https?:\/\//.test(s.url || '') ? [' · ', h('a', { href: s.url, rel: 'noopener noreferrer', target: '_blank' }, 'read the source')] : null);
}

// ─── Shared pieces ──────────────────────────────────────────────────────────

// dateOf shows a partial date at its precision, as its source gives it.
function dateOf(d, id, field, label) {
  if (!d) return h('span', { class: 'muted' }, 'no date');
  const text = [d.label, ' ', h('span', { class: 'precision' }, `(${words(d.precision)})`)];
  return id ? cited(text, id, field, label ? `${label}, ${d.label}` : d.label) : h('span', {}, text);
}

// progressBar draws action-plan progress: done, in progress, blocked, and
// how many are overdue.
function progressBar(p) {
  const count = Object.fromEntries((p.countsByStatus || []).map((c) => [c.status, c.count]));
  const total = p.total || 0;
  const parts = [['done', p.done], ['in-progress', count.IN_PROGRESS || 0], ['blocked', p.blocked]];
  const text = `${p.done} done, ${count.IN_PROGRESS || 0} in progress, ${p.blocked} blocked, ${p.overdue} overdue, of ${total}`;
  return h('div', { class: 'progress' },
    h('div', { class: 'bar', role: 'img', 'aria-label': text },
      total ? parts.map(([k, n]) => (n ? h('span', { class: k, style: { width: `${(100 * n) / total}%` } }) : null)) : null),
    h('p', { class: 'legend' },
      h('span', { class: 'key done' }), `${p.done} done `, h('span', { class: 'key in-progress' }), `${count.IN_PROGRESS || 0} in progress `,
      h('span', { class: 'key blocked' }), `${p.blocked} blocked `, h('span', { class: p.overdue ? 'overdue' : '' }, `${p.overdue} overdue`),
      h('span', { class: 'muted' }, ` · ${total} items`)));
}

const badge = (s) => h('span', { class: `badge s-${s.toLowerCase()}` }, words(s));
const orgName = (o) => o.acronym || o.name;

// seriesChart draws a statistic series with uPlot, and lists its points as
// buttons showing their sources.
function seriesChart(series, title) {
  const pts = series.points;
  const box = h('div', { class: 'chart', role: 'img', 'aria-label': `${title}: ` + pts.map((p) => `${fmt(p.value)} in ${p.asOf.label}`).join(', ') });
  const figure = h('figure', { class: 'series' },
    h('figcaption', {}, h('strong', {}, title),
      series.change != null ? h('span', { class: 'growth' }, ` ${signed(series.change)} ${series.metric.unit} (${signed(series.changePercent)}%) from ${pts[0].asOf.label} to ${pts.at(-1).asOf.label}`) : null),
    box,
    h('ol', { class: 'points' }, pts.map((p) => h('li', {},
      cited(h('strong', {}, fmt(p.value)), p.statistic.id, 'value', `${fmt(p.value)} ${series.metric.unit}`), ' ',
      cited(p.asOf.label, p.statistic.id, 'asOf', p.asOf.label),
      p.change != null ? h('span', { class: 'muted' }, ` ${signed(p.change)} (${signed(p.changePercent)}%)`) : null))));
  const data = [pts.map((p) => Date.parse(p.asOf.date) / 1000), pts.map((p) => p.value)];
  requestAnimationFrame(() => {
    if (!box.isConnected) return;
    const width = Math.max(260, Math.min(box.clientWidth || 600, 900));
    const plot = new uPlot({
      width, height: 220,
      series: [{}, { label: series.metric.name, stroke: '#1d4f91', width: 2, fill: 'rgba(29,79,145,0.12)', points: { size: 8 } }],
      axes: [{}, { values: (u, vals) => vals.map(fmt), size: 60 }],
      legend: { show: false },
      cursor: { points: { size: 10 } },
    }, data, box);
    plot.over.addEventListener('click', () => {
      const i = plot.cursor.idx;
      if (i != null) showProvenance(pts[i].statistic.id, 'value', `${fmt(pts[i].value)} ${series.metric.unit}, ${pts[i].asOf.label}`);
    });
  });
  return figure;
}

// ─── Overview ───────────────────────────────────────────────────────────────

function overview(_arg, params) {
  // A page is the one after a cursor (Next) or before one (Previous).
  const before = params.get('before');
  const status = activityStatuses.includes(params.get('status')) ? params.get('status') : '';
  const vars = before ? { last: pageSize, before } : { first: pageSize, after: params.get('after') || null };
  if (status) vars.filter = { status: { eq: status } };
  const page = Number(params.get('page') || 1);
  const link = (extra) => '#/?' + new URLSearchParams({ ...(status ? { status } : {}), ...extra });
  const statusFilter = h('select', { id: 'status-filter', onchange: (e) => { location.hash = e.target.value ? '#/?' + new URLSearchParams({ status: e.target.value }) : '#/'; } },
    h('option', { value: '' }, 'all'), activityStatuses.map((s) => h('option', { value: s, selected: s === status }, words(s))));
  const totals = h('div', { class: 'card totals' }, h('h2', {}, 'All action items'), h('p', { class: 'loading' }, 'Counting…'));
  const stopTotals = follow('Totals', {}, ({ actionItems }) => replace(totals, h('h2', {}, 'All action items'), progressBar(actionItems.progress)));
  const stop = follow('Overview', vars, (data) => {
    const { initiatives, police } = data;
    const from = (page - 1) * pageSize + 1;
    replace(main,
      h('h1', {}, 'Overview'),
      h('section', { class: 'cards', 'aria-label': 'Summary' },
        totals,
        police.series.length ? h('div', { class: 'card wide' }, seriesChart(police.series[0], police.series[0].metric.name)) : null),
      h('section', { 'aria-labelledby': 'initiatives-h' },
        h('h2', { id: 'initiatives-h' }, 'Initiatives ', h('span', { class: 'muted' },
          initiatives.totalCount ? `${fmt(from)}–${fmt(from + initiatives.nodes.length - 1)} of ${fmt(initiatives.totalCount)}` : 'none')),
        h('p', { class: 'filter' }, h('label', { for: 'status-filter' }, 'Status '), statusFilter),
        h('ul', { class: 'initiatives' }, initiatives.nodes.map(initiativeCard)),
        h('nav', { class: 'pager', 'aria-label': 'Pages' },
          page > 1 ? h('a', { href: page === 2 ? link({}) : link({ before: initiatives.pageInfo.startCursor, page: page - 1 }) }, '← Previous') : null,
          initiatives.pageInfo.hasNextPage || before ? h('a', { href: link({ after: initiatives.pageInfo.endCursor, page: page + 1 }) }, 'Next →') : null)));
  });
  return () => { stop(); stopTotals(); };
}

function initiativeCard(i) {
  const meeting = (label, m) => h('p', { class: 'meeting' }, h('span', { class: 'muted' }, `${label}: `),
    m ? [m.title, ' — ', dateOf(m.date, m.id, 'date', m.title)] : h('span', { class: 'muted' }, 'none'));
  return h('li', { class: 'card initiative' },
    h('h3', {}, h('a', { href: `#/initiative/${encodeURIComponent(i.slug)}` }, i.title), i.shortTitle ? h('span', { class: 'muted' }, ` (${i.shortTitle})`) : null),
    h('p', {}, cited(badge(i.status), i.id, 'status', `${i.title}: ${words(i.status)}`), ' ', h('span', { class: 'muted' }, words(i.kind)), i.actualStart ? [' · started ', dateOf(i.actualStart, i.id, 'actualStart', 'Started')] : null),
    h('ul', { class: 'partners', 'aria-label': 'Partners' }, i.partnerships.nodes.map((p) =>
      h('li', {}, cited([orgName(p.organization), ' ', h('span', { class: 'role' }, words(p.role))], p.id, null, `${orgName(p.organization)}, ${words(p.role)}`))),
      i.partnerships.totalCount > i.partnerships.nodes.length ? h('li', { class: 'muted' }, `+${i.partnerships.totalCount - i.partnerships.nodes.length} more`) : null),
    progressBar(i.actionItems.progress),
    meeting('Next meeting', i.next.nodes[0]),
    meeting('Latest meeting', i.latest.nodes[0]));
}

// ─── Initiative ─────────────────────────────────────────────────────────────

function initiative(slug) {
  let stopHistory = () => {};
  const stop = follow('Initiative', { slug }, ({ initiative: i }) => {
    if (!i) {
      replace(main, h('h1', {}, 'Not found'), h('p', {}, `No initiative has the slug “${slug}”. `, h('a', { href: '#/' }, 'Back to the overview')));
      return;
    }
    const byRole = Object.groupBy ? Object.groupBy(i.partnerships.nodes, (p) => p.role) : groupBy(i.partnerships.nodes, (p) => p.role);
    const dates = [['Planned start', 'plannedStart'], ['Started', 'actualStart'], ['Planned end', 'plannedEnd'], ['Ended', 'actualEnd']]
      .filter(([, k]) => i[k]).map(([l, k]) => h('li', {}, `${l}: `, dateOf(i[k], i.id, k, l)));
    replace(main,
      h('p', {}, h('a', { href: '#/' }, '← Overview')),
      h('h1', {}, i.title, i.shortTitle ? h('span', { class: 'muted' }, ` (${i.shortTitle})`) : null),
      h('p', {}, cited(badge(i.status), i.id, 'status', `status: ${words(i.status)}`), ' ', cited(words(i.kind), i.id, 'kind', words(i.kind)), ' ', cited('Sources', i.id, null, i.title)),
      i.description ? h('p', {}, cited(i.description, i.id, 'description', 'Description')) : null,
      i.objective ? h('p', {}, h('strong', {}, 'Objective: '), cited(i.objective, i.id, 'objective', 'Objective')) : null,
      dates.length ? h('ul', { class: 'dates' }, dates) : null,
      h('section', { 'aria-labelledby': 'partners-h' }, h('h2', { id: 'partners-h' }, 'Partners and roles'),
        h('div', { class: 'roles' }, Object.entries(byRole).map(([role, ps]) => h('div', { class: 'card role-group' },
          h('h3', {}, words(role)),
          h('ul', {}, ps.map((p) => h('li', {}, cited(p.organization.name + (p.organization.acronym ? ` (${p.organization.acronym})` : ''), p.id, null, `${orgName(p.organization)} as ${words(role)}`),
            p.status !== 'ACTIVE' ? [' ', badge(p.status)] : null))))))),
      h('section', { 'aria-labelledby': 'meetings-h' }, h('h2', { id: 'meetings-h' }, `Meetings (${i.meetings.totalCount})`),
        i.meetings.nodes.length ? h('ol', { class: 'timeline' }, i.meetings.nodes.map((m) => h('li', {},
          h('span', { class: 'when' }, dateOf(m.date, m.id, 'date', m.title)), ' ',
          cited(h('strong', {}, m.title), m.id, 'title', m.title), ' ', badge(m.status), m.place ? [' · ', cited(h('span', { class: 'muted' }, m.place.name), m.id, 'place', `${m.title}: ${m.place.name}`)] : null))) : h('p', { class: 'muted' }, 'No meetings.')),
      h('section', { 'aria-labelledby': 'board-h' }, h('h2', { id: 'board-h' }, `Action items (${i.actionItems.totalCount})`),
        progressBar(i.actionItems.progress), board(i.actionItems.nodes)),
      h('section', { 'aria-labelledby': 'results-h' }, h('h2', { id: 'results-h' }, 'Results and indicators'), results(i.results.nodes)));
  });
  return () => { stop(); stopHistory(); };
}

function groupBy(list, key) {
  const out = {};
  for (const x of list) (out[key(x)] ||= []).push(x);
  return out;
}

function board(items) {
  const canMove = viewer && viewer.role !== 'VIEWER';
  return h('div', { class: 'board' }, statuses.map((s) => {
    const col = items.filter((a) => a.status === s);
    return h('section', { class: 'column', 'aria-label': `${words(s)}: ${col.length}`, 'data-status': s },
      h('h3', {}, words(s), h('span', { class: 'count' }, ` ${col.length}`)),
      h('ul', {}, col.map((a) => h('li', { class: 'item card', 'data-slug': a.slug, 'data-version': a.version },
        h('p', { class: 'title' }, cited(a.title, a.id, 'title', a.title)),
        h('p', { class: 'muted' }, cited(orgName(a.owner), a.id, 'owner', `${a.title}: owned by ${orgName(a.owner)}`), ' · due ', a.due ? dateOf(a.due, a.id, 'due', `${a.title}: due`) : 'no date', a.isOverdue ? [' ', h('span', { class: 'overdue' }, 'overdue')] : null),
        h('p', { class: 'actions' },
          canMove && a.nextStatuses.length ? h('button', { type: 'button', onclick: () => openMove(a) }, 'Move…') : null,
          h('button', { type: 'button', class: 'secondary', onclick: () => openMove(a, true) }, 'History'))))));
  }));
}

function results(list) {
  if (!list.length) return h('p', { class: 'muted' }, 'No results recorded.');
  const value = (s, unit, label) => (s ? cited([fmt(s.value), h('span', { class: 'muted' }, ` ${s.asOf.label}`)], s.id, 'value', `${label} ${fmt(s.value)} ${unit}`) : h('span', { class: 'muted' }, '—'));
  return list.map((r) => h('div', { class: 'card' }, h('h3', {}, cited(r.title, r.id, 'title', r.title), ' ',
    h('span', { class: 'muted' }, words(r.type), r.organization ? ` · ${orgName(r.organization)}` : '')),
    r.indicators.nodes.length ? h('table', {},
      h('thead', {}, h('tr', {}, ['Indicator', 'Baseline', 'Target', 'Actual', 'Change'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, r.indicators.nodes.map((ind) => h('tr', {},
        h('th', { scope: 'row' }, ind.title, h('span', { class: 'muted' }, ` (${ind.metric.unit})`)),
        h('td', {}, value(ind.baseline, ind.metric.unit, 'Baseline')),
        h('td', {}, value(ind.target, ind.metric.unit, 'Target')),
        h('td', {}, value(ind.actual, ind.metric.unit, 'Actual')),
        h('td', {}, ind.change != null ? `${signed(ind.change)} (${signed(ind.changePercent)}%)` : '—'))))) : h('p', { class: 'muted' }, 'No indicators.')));
}

// ─── Moving an action item ──────────────────────────────────────────────────

const moveDialog = document.getElementById('move');
let stopItem = () => {};
moveDialog.addEventListener('close', () => { stopItem(); stopItem = () => {}; });

// needsNote mirrors the workflow (models/workflow.go): blocking, cancelling
// and reopening need a note; the server checks it again.
const needsNote = (from, to) => to === 'BLOCKED' || to === 'CANCELLED' || from === 'DONE';

// openMove opens the item's dialog: its history, and (signed in, unless
// historyOnly) the moves the workflow allows from the state the officer
// saw, sent with the version they saw, so that a move made by someone else
// in between is refused with CONFLICT rather than overwritten.
function openMove(item, historyOnly = false) {
  let seen = { ...item }; // what the officer decides on
  let current = seen;
  const form = h('form', { class: 'move' });
  const status = h('div', { role: 'status', class: 'move-status' });
  const historyList = h('ol', { class: 'history' }, h('li', { class: 'muted' }, 'Loading…'));
  replace(moveDialog.querySelector('h2'), item.title);
  const drawForm = () => {
    if (historyOnly || !viewer || viewer.role === 'VIEWER') {
      replace(form);
      return;
    }
    const choices = seen.nextStatuses.map((s, n) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'to', value: s, required: true, checked: n === 0 }), ' ', words(s)));
    const note = h('textarea', { id: 'move-note', name: 'note', rows: 2 });
    const noteLabel = h('label', { for: 'move-note' }, 'Note');
    const syncNote = () => {
      const to = form.querySelector('input[name=to]:checked')?.value;
      const required = needsNote(seen.status, to);
      note.required = required;
      replace(noteLabel, required ? 'Note (required for this move)' : 'Note (optional)');
    };
    replace(form,
      h('p', {}, 'Now: ', badge(seen.status), h('span', { class: 'muted' }, ` (version ${seen.version})`)),
      seen.nextStatuses.length ? [h('fieldset', { onchange: syncNote }, h('legend', {}, 'Move to'), choices), noteLabel, note,
        h('p', {}, h('button', { type: 'submit' }, 'Move'))] : h('p', {}, 'No move is allowed from here: it is final.'));
    syncNote();
  };
  form.onsubmit = async (e) => {
    e.preventDefault();
    const to = form.querySelector('input[name=to]:checked')?.value;
    const note = form.querySelector('textarea').value.trim();
    replace(status, 'Moving…');
    try {
      await request('MoveItem', { input: { id: seen.id, status: to, note: note || null, expectedVersion: seen.version } });
      replace(status, `Moved to ${words(to)}.`);
      moveDialog.close();
    } catch (err) {
      if (err.code === 'CONFLICT') {
        status.className = 'move-status conflict';
        replace(status, h("strong", {}, "Conflict (CONFLICT): "),
          `someone else changed this item after you opened it (you saw version ${seen.version}, ${words(seen.status)}; it is now version ${current.version}, ${words(current.status)}). `,
          'Your move was not made. Its history below shows what changed; choose again from where it stands now.');
        seen = { ...current };
        drawForm();
      } else {
        status.className = 'move-status error';
        replace(status, `${err.message}${err.code ? ` (${err.code})` : ''}`);
      }
    }
  };
  replace(moveDialog.querySelector('.body'), status, form, h('h3', {}, 'History'), historyList);
  status.className = 'move-status';
  drawForm();
  stopItem();
  stopItem = live('ItemHistory', { id: item.id }, ({ node }) => {
    if (!node) return;
    current = node;
    replace(historyList, node.history.nodes.length ? node.history.nodes.map((e) => h('li', {},
      h('time', { datetime: e.occurredAt }, new Date(e.occurredAt).toLocaleString('en-GB', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' }) + ' UTC'), ' ',
      e.action === 'STATUS_CHANGE' ? `${words(e.fromStatus)} → ${words(e.toStatus)}` : words(e.action),
      ` by ${e.actor.name || 'an ' + words(e.actor.role)}`, e.note ? h('q', {}, e.note) : null)) : h('li', { class: 'muted' }, 'No changes yet.'));
  }, (err) => replace(historyList, h('li', { role: 'alert' }, err.message)));
  if (!moveDialog.open) moveDialog.showModal();
}
moveDialog.querySelector('.close').addEventListener('click', () => moveDialog.close());

// ─── Statistics ─────────────────────────────────────────────────────────────

function statistics() {
  return follow('Statistics', {}, ({ police, interpol, results: rs }) => {
    const m = interpol?.memberCount;
    replace(main,
      h('h1', {}, 'Statistics'),
      h('section', { class: 'cards' },
        police.series.map((s) => h('div', { class: 'card wide' }, seriesChart(s, s.metric.name))),
        m ? h('div', { class: 'card figure' }, h('h2', {}, `${interpol.name} (${interpol.acronym})`),
          h('p', { class: 'big' }, cited(fmt(m.value), m.id, 'value', `${fmt(m.value)} ${m.metric.unit}`), ' ', m.metric.unit),
          h('p', {}, 'as of ', cited(m.asOf.label, m.id, 'asOf', `as of ${m.asOf.label}`), h('span', { class: 'precision' }, ` (${words(m.asOf.precision)})`))) : null),
      h('section', { 'aria-labelledby': 'results-h' }, h('h2', { id: 'results-h' }, 'Results and indicators'), results(rs.nodes)));
  });
}

// ─── Organizations ──────────────────────────────────────────────────────────

function organizations(id) {
  let stopDetail = () => {};
  const detail = h('section', { class: 'card detail', 'aria-live': 'polite', 'aria-labelledby': 'org-h' }, h('p', { class: 'muted', id: 'org-h' }, 'Choose an organization to see its partnerships.'));
  const select = (o) => {
    for (const b of main.querySelectorAll('.tree button')) {
      if (b.dataset.id === o.id) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    }
    stopDetail();
    stopDetail = live('OrganizationPartnerships', { id: o.id }, ({ node }) => drawOrg(detail, node), (err) => showError(err));
  };
  const tree = (nodes) => h('ul', {}, nodes.map((o) => h('li', {},
    h('button', { type: 'button', class: 'link', 'data-id': o.id, onclick: () => select(o) }, o.name, o.acronym ? ` (${o.acronym})` : ''),
    h('span', { class: 'muted' }, ` ${words(o.kind)}`),
    o.children?.nodes.length ? tree(o.children.nodes) : null)));
  let first = true;
  const stop = follow('Organizations', {}, ({ organizations: orgs }) => {
    replace(main, h('h1', {}, 'Organizations'),
      h('div', { class: 'split' },
        h('section', { class: 'tree', 'aria-label': 'Hierarchy' }, tree(orgs.nodes),
          orgs.totalCount > orgs.nodes.length ? h('p', { class: 'muted' }, `${fmt(orgs.totalCount - orgs.nodes.length)} more top-level organizations not shown`) : null),
        detail));
    if (first) {
      first = false;
      const initial = id ? { id } : orgs.nodes[0];
      if (initial) select(initial);
    }
  });
  return () => { stop(); stopDetail(); };
}

function drawOrg(el, o) {
  if (!o) return;
  replace(el,
    h('h2', { id: 'org-h' }, o.name, o.acronym ? ` (${o.acronym})` : ''),
    o.ancestors.length ? h('p', { class: 'muted' }, 'Part of ', [...o.ancestors].reverse().map((a, n) => [n ? ' → ' : '', h('a', { href: `#/organizations/${encodeURIComponent(a.id)}` }, orgName(a))])) : null,
    h('p', {}, cited(o.description || 'Sources', o.id, 'description', o.name)),
    o.foundedYear ? h('p', {}, 'Founded ', cited(String(o.foundedYear), o.id, 'foundedYear', `founded ${o.foundedYear}`)) : null,
    o.memberCount ? h('p', {}, cited(fmt(o.memberCount.value), o.memberCount.id, 'value', 'member countries'), ' member countries as of ', o.memberCount.asOf.label) : null,
    h('h3', {}, `Partnerships (${o.partnerships.totalCount})`),
    o.partnerships.nodes.length ? h('ul', {}, o.partnerships.nodes.map((p) => h('li', {},
      h('a', { href: `#/initiative/${encodeURIComponent(p.initiative.slug)}` }, p.initiative.title), ' — ',
      cited(words(p.role), p.id, null, `${words(p.role)} in ${p.initiative.title}`), p.status !== 'ACTIVE' ? [' ', badge(p.status)] : null))) : h('p', { class: 'muted' }, 'None.'));
}

// ─── Search ─────────────────────────────────────────────────────────────────

function search(_arg, params) {
  const text = params.get('q') || '';
  const input = h('input', { id: 'q', type: 'search', value: text, required: true });
  const out = h('div', { 'aria-live': 'polite' });
  replace(main, h('h1', {}, 'Search'),
    h('form', { role: 'search', class: 'searchform', onsubmit: (e) => { e.preventDefault(); location.hash = `#/search?q=${encodeURIComponent(input.value)}`; } },
      h('label', { for: 'q' }, 'Search everything'), input, h('button', { type: 'submit' }, 'Search')), out);
  input.focus();
  if (!text.trim()) return;
  let cancelled = false;
  request('Search', { text }).then(({ search: r }) => {
    if (cancelled) return;
    replace(out, h('p', { class: 'muted' }, `${fmt(r.totalCount)} results`),
      h('ol', { class: 'results' }, r.nodes.map((n) => {
        const slug = n.node.slug || n.node.initiative?.slug || n.node.initiatives?.nodes[0]?.slug;
        const href = n.type === 'ORGANIZATION' ? `#/organizations/${encodeURIComponent(n.node.id)}` : slug ? `#/initiative/${encodeURIComponent(slug)}` : null;
        return h('li', { class: 'card' }, h('p', {}, h('span', { class: 'badge' }, words(n.type)), ' ',
          href ? h('a', { href }, n.title) : h('strong', {}, n.title), ' ',
          cited('Sources', n.node.id, null, n.title)),
          h('p', { class: 'snippet' }, marked(n.snippet)));
      })));
  }, (err) => showError(err, 'Search'));
  return () => { cancelled = true; };
}

signIn(getToken());
