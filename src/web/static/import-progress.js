/* global document, window, fetch, setTimeout */
// The upload status page, enhanced: instead of pressing "Check progress", the page asks how the upload is going
// every 1.5 seconds, updates the progress text (an aria-live region, so screen readers hear it) and reloads itself
// once the upload has finished, to show the result. Without JavaScript the button does the same job.
const region = document.querySelector('[data-progress-url]');
const everyMs = 1500;

async function poll() {
  let progress;
  try {
    const res = await fetch(region.dataset.progressUrl, { headers: { accept: 'application/json' }, cache: 'no-store' });
    // Signed out, or the run is gone: stop asking and leave the button to the person.
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('application/json')) return;
    progress = await res.json();
  } catch {
    // A dropped connection: ask again at the next tick.
    setTimeout(poll, everyMs);
    return;
  }
  if (progress.finished) {
    window.location.reload();
    return;
  }
  // Only a changed text is written, so screen readers announce progress, not every poll.
  if (progress.text && region.textContent.trim() !== progress.text) region.textContent = progress.text;
  setTimeout(poll, everyMs);
}

if (region) setTimeout(poll, everyMs);
