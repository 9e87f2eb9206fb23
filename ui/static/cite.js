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
}
