// Progressive enhancement of the connect pages: copy buttons and live status. Everything works without it.
(() => {
  const text = JSON.parse(document.getElementById('page-text')?.textContent || '{}');

  for (const el of document.querySelectorAll('[data-copy]')) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy secondary';
    button.textContent = text.copy || 'Copy';
    button.setAttribute('aria-label', `${text.copy || 'Copy'}: ${el.getAttribute('data-copy')}`);
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(el.getAttribute('data-copy') || '');
        button.textContent = text.copied || 'Copied';
        setTimeout(() => {
          button.textContent = text.copy || 'Copy';
        }, 2000);
      } catch {
        // No clipboard permission: the text stays selectable.
      }
    });
    el.after(button);
  }

  // Reloading would throw away what someone is typing: once a form has input, a change is announced instead.
  let typing = false;
  for (const form of document.querySelectorAll('form')) {
    form.addEventListener('input', () => {
      typing = true;
    });
  }

  const live = document.querySelector('[data-status-url]');
  if (!live) return;
  const url = live.getAttribute('data-status-url');
  const shownStatus = live.getAttribute('data-status');
  const shownCheck = live.getAttribute('data-checked') || '';
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
      if (!response.ok) return;
      const state = await response.json();
      // A new state (linked, a new probe, a credential problem): the server renders it best.
      if (state.status !== shownStatus || (state.lastCheckedAt || '') !== shownCheck) {
        if (!typing) {
          window.location.reload();
          return;
        }
        live.textContent = `${text.changedReload || ''} `;
        const reload = document.createElement('button');
        reload.type = 'button';
        reload.className = 'secondary';
        reload.textContent = text.reload || 'Reload';
        reload.addEventListener('click', () => window.location.reload());
        live.append(reload);
        return;
      }
    } catch {
      // Offline for a moment: try again at the next tick.
    }
    setTimeout(poll, 4000);
  };
  setTimeout(poll, 4000);
})();
