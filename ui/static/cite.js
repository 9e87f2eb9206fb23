// Installed once per page by the Sources panel (js_on_load). Capture phase, so the chat's own link handling (new tab)
// never runs for these links.
if (!window.__ragCiteHandler) {
  // A marker link ``#src-<turn>-<n>`` anywhere (the chat included) opens the card's section, scrolls the card into
  // view and highlights it.
  window.__ragCiteHandler = function (ev) {
    const link = ev.target && ev.target.closest ? ev.target.closest('a[href^="#src-"]') : null;
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) {  // an old answer whose sources the panel no longer keeps (ui/handlers.py KEEP_TURNS)
      link.classList.add('gone');
      link.title = 'The sources of this answer are no longer shown. Ask the question again to see them.';
      return;
    }
    const section = card.closest('details');
    if (section) section.open = true;
    document.querySelectorAll('.src-card.active').forEach(function (c) { c.classList.remove('active'); });
    card.classList.add('active');
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
  };
  document.addEventListener('click', window.__ragCiteHandler, true);
  // "Sort by date" toggles an answer's source cards between newest first and marker order.
  document.addEventListener('click', function (ev) {
    const button = ev.target && ev.target.closest ? ev.target.closest('button.src-sort') : null;
    if (!button) return;
    const box = button.nextElementSibling;
    if (!box || !box.classList.contains('src-cards')) return;
    const byDate = button.dataset.order !== 'date';
    const cards = Array.from(box.querySelectorAll(':scope > .src-card'));
    cards.sort(function (a, b) {
      if (byDate) return (b.dataset.date || '').localeCompare(a.dataset.date || '') || a.dataset.marker - b.dataset.marker;
      return a.dataset.marker - b.dataset.marker;
    });
    cards.forEach(function (c) { box.appendChild(c); });
    button.dataset.order = byDate ? 'date' : 'marker';
    button.textContent = byDate ? 'Sort by marker' : 'Sort by date';
  }, true);
  // The chat's copy button copies the message as Gradio holds it (HTML for the markers and badges, Markdown escapes).
  // Once Gradio has written that, this puts the text the reader sees in its place: the answer with its [n] markers
  // (badges, dates and the outcome label are CSS, not text).
  document.addEventListener('click', function (ev) {
    const button = ev.target && ev.target.closest ? ev.target.closest('#chatbot .message-buttons button') : null;
    if (!button || !/copy/i.test(button.getAttribute('aria-label') || '') || !navigator.clipboard) return;
    const buttons = button.closest('.message-buttons');
    const row = buttons && buttons.previousElementSibling;
    const message = row && (row.querySelector('[data-testid="bot"], [data-testid="user"]') || row);
    if (!message) return;
    const text = message.innerText.replace(/\n{3,}/g, '\n\n').trim();
    setTimeout(function () { navigator.clipboard.writeText(text).catch(function () {}); }, 60);
  }, true);
  // A question still "Searching the articles…" while the server has gone (stopped, restarted, network lost) would
  // wait for ever: every few seconds, while such a bubble is shown, ask the server's /healthz; when it does not
  // answer, the bubble says what happened instead.
  window.__ragWatchServer = setInterval(function () {
    const bots = document.querySelectorAll('#chatbot [data-testid="bot"]');
    const last = bots.length ? bots[bots.length - 1] : null;
    if (!last || !/Searching the articles/.test(last.innerText)) { window.__ragWaitingSince = 0; return; }
    const now = Date.now();
    if (!window.__ragWaitingSince) { window.__ragWaitingSince = now; return; }
    if (now - window.__ragWaitingSince < 4000) return;
    const probe = new AbortController();
    const timer = setTimeout(function () { probe.abort(); }, 3000);
    fetch(new URL('healthz', window.location.href), {cache: 'no-store', signal: probe.signal})
      .then(function (r) { if (!r.ok) throw new Error('status ' + r.status); })
      .catch(function () {
        const note = '⚠️ The server stopped answering, so this answer did not arrive. ' +
          'Reload the page once the server is back: the conversation so far is kept.';
        last.innerHTML = '<p class="server-lost">' + note + '</p>';
        // Gradio may cover the chat with its own "Error" badge: the same words at the top of the page too
        if (!document.getElementById('server-lost-banner')) {
          const banner = document.createElement('div');
          banner.id = 'server-lost-banner';
          banner.setAttribute('role', 'alert');
          banner.textContent = note;
          banner.style.cssText = 'position:fixed;top:0;left:0;right:0;z-index:1000;padding:10px 16px;' +
            'background:#fef3c7;color:#78350f;border-bottom:1px solid #f59e0b;font-weight:600;text-align:center';
          document.body.appendChild(banner);
        }
      })
      .finally(function () { clearTimeout(timer); });
  }, 2000);
}
