// The console's state and what every part of it uses: the clerk's session, the counter's view
// as the hub last sent it, the page's texts, the API with the clerk's token, the message line.
const { digits, inLang } = Navbat; // shared/navbat.js

export const lang = document.body.dataset.lang;
export const t = Navbat.translator(Navbat.pageData("texts"));
export const $ = (id) => document.getElementById(id);
export const fa = (value) => digits(value, lang);
export const name = (words) => inLang(words, lang);

export const S = {
  token: sessionStorage.getItem("navbat.token"),
  counter: Number(sessionStorage.getItem("navbat.counter")) || null,
  view: null, services: [], branch: null, checks: {}, source: null, pending: null, transferFor: null,
  undoMs: 6000, uncallMs: 10000,
};
window.navbatConsole = S; // for tests and support

export const api = Navbat.client({ token: () => S.token });

export function endSession() {
  sessionStorage.removeItem("navbat.token");
  S.token = null;
  if (S.source) S.source.close();
}

export function say(text, isError) {
  $("message").textContent = text ? (isError ? "⚠ " : "") + text : "";
  $("message").className = isError ? "error" : "";
}
