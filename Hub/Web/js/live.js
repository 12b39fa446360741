// Polling for live refresh (the hub has no push stream yet): runs `job` now and then every `interval` ms while the
// page is visible, never two at once; returns a function that stops it.

export function poll(job, interval) {
  let timer = null;
  let stopped = false;
  let running = false;

  async function tick() {
    timer = null;
    if (stopped) return;
    if (document.hidden) { schedule(); return; }
    running = true;
    try { await job(); } catch (_) { /* the job shows its own errors */ }
    running = false;
    schedule();
  }

  function schedule() {
    if (!stopped && timer === null) timer = setTimeout(tick, interval);
  }

  function onVisible() {
    if (!document.hidden && !running && !stopped) {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      tick();
    }
  }

  document.addEventListener("visibilitychange", onVisible);
  tick();
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisible);
  };
}
