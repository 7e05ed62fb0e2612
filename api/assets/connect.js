// Progressive enhancement of the connect pages: copy buttons and live status. Everything works without it.
(() => {
  const text = JSON.parse(document.getElementById('page-text')?.textContent || '{}');

  /** Adds a copy button after every element carrying data-copy inside root. */
  const enhance = (root) => {
    for (const el of root.querySelectorAll('[data-copy]')) {
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
  };
  enhance(document);

  // Whether someone has typed into a form: their input must never be thrown away by an update.
  let typing = false;
  for (const form of document.querySelectorAll('form')) {
    form.addEventListener('input', () => {
      typing = true;
    });
  }

  const TERMINAL = ['linked', 'expired', 'cancelled'];
  const live = document.getElementById('status');
  const url = live?.getAttribute('data-status-url');
  if (!live || !url) return;
  let shown = `${live.getAttribute('data-status')}|${live.getAttribute('data-checked') || ''}`;

  /** Swaps the parts that change (status, credential problem, checklist) for the server's new rendering. */
  const update = async (terminal) => {
    const response = await fetch(window.location.href, {
      headers: { accept: 'text/html' },
      cache: 'no-store',
    });
    if (!response.ok) return;
    const next = new DOMParser().parseFromString(await response.text(), 'text/html');
    if (terminal) {
      // Linked, expired or cancelled: the whole page changes, unless that would discard typed input.
      if (!typing) {
        document.querySelector('main')?.replaceWith(next.querySelector('main'));
        enhance(document.querySelector('main'));
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
    for (const id of ['scopes', 'credential-problem']) {
      const old = document.getElementById(id);
      const fresh = next.getElementById(id);
      if (old && fresh) old.replaceWith(fresh);
      else if (old) old.remove();
      else if (fresh) live.after(fresh);
      if (fresh) enhance(fresh);
    }
    // The live region keeps its element, so screen readers announce the new text.
    const status = next.getElementById('status');
    if (status) {
      live.className = status.className;
      live.textContent = status.textContent;
    }
  };

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
      if (response.ok) {
        const state = await response.json();
        const now = `${state.status}|${state.lastCheckedAt || ''}`;
        if (now !== shown) {
          shown = now;
          const finished = TERMINAL.includes(state.status);
          await update(finished);
          if (finished) return; // nothing changes after the end: stop polling
        }
      }
    } catch {
      // Offline for a moment: try again at the next tick.
    }
    setTimeout(poll, 4000);
  };
  setTimeout(poll, 4000);
})();
