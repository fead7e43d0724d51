// The timeout warning, after GOV.UK's pattern. Shortly before the idle timeout a modal dialog counts down and
// offers "Stay signed in" (a POST that moves the session's expiry on, keeping the page and anything typed into it)
// or "Sign out". When the time runs out the server has ended the session already; the page goes to "You have been
// signed out", which says why. Tabs share when the session will end through localStorage (the server saves the
// session at most once a minute, so a page may open with less than the full idle time left, and says so), and working
// in one tab keeps the others from warning. Without JavaScript none of this runs and the server ends the session anyway.
(function () {
  "use strict";

  const dialog = document.getElementById("session-timeout");
  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch || !window.FormData) {
    return;
  }
  let idleSeconds = Number(dialog.dataset.sessionIdleSeconds);
  const warningSeconds = Number(dialog.dataset.sessionWarningSeconds);
  const signedOutUrl = new URL(dialog.dataset.signedOutUrl, window.location.href);
  if (!(idleSeconds > 0) || !(warningSeconds > 0)) {
    return;
  }

  const countdown = dialog.querySelector("[data-session-timeout-countdown]");
  const status = dialog.querySelector("[data-session-timeout-status]");
  const error = dialog.querySelector("[data-session-timeout-error]");
  const keepAliveForm = dialog.querySelector("[data-session-timeout-keep-alive]");
  const signOutForm = dialog.querySelector("[data-session-timeout-sign-out]");
  const STORAGE_KEY = "earlyhelp.session.expiresAt";
  // A screen reader hears the time left every 15 seconds, not every second (GOV.UK's accessible timeout warning).
  const SPOKEN_EVERY = 15;

  let expiresAt = Date.now() + idleSeconds * 1000;
  let returnFocusTo = null;
  let spokenBucket = null;
  let waiting = false;
  let finished = false;
  let closing = false;
  let ticker = null;

  function sharedExpiry() {
    try {
      return Number(window.localStorage.getItem(STORAGE_KEY)) || 0;
    } catch (e) {
      return 0;
    }
  }

  function shareExpiry(time) {
    try {
      window.localStorage.setItem(STORAGE_KEY, String(Math.max(time, sharedExpiry())));
    } catch (e) {
      // Private browsing may refuse storage: this tab keeps its own clock.
    }
  }

  function secondsLeft() {
    expiresAt = Math.max(expiresAt, sharedExpiry());
    return Math.ceil((expiresAt - Date.now()) / 1000);
  }

  function describe(seconds) {
    const minutes = Math.floor(seconds / 60);
    const rest = seconds % 60;
    const parts = [];
    if (minutes) {
      parts.push(minutes + (minutes === 1 ? " minute" : " minutes"));
    }
    if (rest || !minutes) {
      parts.push(rest + (rest === 1 ? " second" : " seconds"));
    }
    return parts.join(" ");
  }

  function show(seconds) {
    const text = describe(Math.max(seconds, 0));
    countdown.textContent = text;
    const bucket = Math.ceil(seconds / SPOKEN_EVERY);
    if (spokenBucket !== null && bucket !== spokenBucket) {
      status.textContent = "You will be signed out in " + text + ".";
    }
    spokenBucket = bucket;
  }

  function open(seconds) {
    returnFocusTo = document.activeElement;
    error.hidden = true;
    spokenBucket = null;
    status.textContent = "";
    show(seconds);
    dialog.showModal();
    dialog.focus(); // the dialog's name and description (with the time left) are read out
  }

  function close() {
    if (dialog.open) {
      closing = true;
      dialog.close();
      closing = false;
    }
    status.textContent = "";
    if (returnFocusTo && document.contains(returnFocusTo) && typeof returnFocusTo.focus === "function") {
      returnFocusTo.focus();
    }
    returnFocusTo = null;
  }

  function finish(url) {
    finished = true;
    window.clearInterval(ticker);
    window.location.assign(url);
  }

  function timeOut() {
    if (finished) {
      return;
    }
    finished = true;
    window.clearInterval(ticker);
    // Sign out as well, for a tab that could not share its activity; then say why, whatever the answer.
    window
      .fetch(signOutForm.action, {
        method: "POST",
        body: new FormData(signOutForm),
        credentials: "same-origin",
        redirect: "manual",
      })
      .catch(function () {
        return null;
      })
      .then(function () {
        window.location.assign(signedOutUrl.href);
      });
  }

  function staySignedIn() {
    if (waiting || finished) {
      return;
    }
    waiting = true;
    error.hidden = true;
    window
      .fetch(keepAliveForm.action, {
        method: "POST",
        body: new FormData(keepAliveForm),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
      .then(function (response) {
        if (response.redirected) {
          // Signed out already: the 12-hour limit sends its own reason, anything else is the idle timeout.
          const landed = new URL(response.url);
          finish(landed.pathname === signedOutUrl.pathname ? landed.href : signedOutUrl.href);
          return;
        }
        if (!response.ok) {
          timeOut();
          return;
        }
        return response.json().then(function (answer) {
          if (Number(answer.idle_seconds) > 0) {
            idleSeconds = Number(answer.idle_seconds);
          }
          expiresAt = Date.now() + idleSeconds * 1000;
          shareExpiry(expiresAt);
          close();
        });
      })
      .catch(function () {
        if (!dialog.open) {
          open(secondsLeft());
        }
        error.hidden = false;
      })
      .then(function () {
        waiting = false;
      });
  }

  function tick() {
    if (finished) {
      return;
    }
    const seconds = secondsLeft();
    if (seconds <= 0) {
      timeOut();
    } else if (seconds <= warningSeconds) {
      if (dialog.open) {
        show(seconds);
      } else {
        open(seconds);
      }
    } else if (dialog.open) {
      close(); // another tab kept the session alive
    }
  }

  keepAliveForm.addEventListener("submit", function (event) {
    event.preventDefault();
    staySignedIn();
  });
  // Escape means "stay signed in", not "close and carry on towards being signed out". A browser may close the
  // dialog whatever the page says, so a close the script did not ask for means the same.
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      staySignedIn();
    }
  });
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    staySignedIn();
  });
  dialog.addEventListener("close", function () {
    if (!closing && !finished) {
      staySignedIn();
    }
  });
  window.addEventListener("storage", function (event) {
    if (event.key === STORAGE_KEY) {
      tick();
    }
  });

  shareExpiry(expiresAt);
  ticker = window.setInterval(tick, 1000);
})();
