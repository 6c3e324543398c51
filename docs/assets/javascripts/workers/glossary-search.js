/*
 * The site's search worker: the theme's own worker, plus one rule.
 *
 * When the query is exactly a term's name or one of its synonyms (case and
 * spacing aside, or with its words in the plural: "tensors", "neural
 * networks"), the page that defines that term is the first result.
 * Everything else - matching, scoring, highlighting, suggestions - is the
 * theme's. The rule is needed because the theme matches every query word as
 * a prefix and adds up the scores of all the words it extends to: "Tensor"
 * also matches "tensors", so the page "Data tensors" would outrank "Tensor".
 *
 * The build hook (docs/_hooks/glossary.py) points every page at this file
 * and names the theme's worker in the query string (?theme=search.<hash>.min.js).
 * The labels come from the index itself: a term page's tags are its terms'
 * names and synonyms.
 */

// The theme's message types (SearchMessageType).
const SETUP = 0
const QUERY = 2
const RESULT = 3

let termPage = new Map() // normalised name or synonym -> location of its page
let singularPage = new Map() // the same, each word made singular; ambiguous forms left out
const queries = [] // sent, not yet answered; the theme answers in the order asked

function normalise(text) {
  return String(text).trim().replace(/\s+/g, " ").toLowerCase()
}

// English plurals, roughly: matrices -> matrix, probabilities -> probability, tensors -> tensor.
// Both the labels and the query go through it, so a rough rule is enough; "loss" keeps its s.
function singular(text) {
  return normalise(text).split(" ").map(word =>
    word.endsWith("ices") ? word.slice(0, -4) + "ix"
    : word.endsWith("ies") && word.length > 4 ? word.slice(0, -3) + "y"
    : word.endsWith("s") && !word.endsWith("ss") && word.length > 3 ? word.slice(0, -1)
    : word
  ).join(" ")
}

function termPages(docs, key) {
  const pages = new Map()
  const ambiguous = new Set()
  for (const doc of docs)
    if (doc.tags && !doc.location.includes("#"))
      for (const label of doc.tags) {
        const form = key(label)
        if (pages.has(form) && pages.get(form) !== doc.location) ambiguous.add(form)
        else pages.set(form, doc.location)
      }
  for (const form of ambiguous) pages.delete(form)
  return pages
}

function termPageFirst(groups, query) {
  const page = termPage.get(normalise(query)) ?? singularPage.get(singular(query))
  if (page === undefined) return groups
  // A group holds one page's matches; its article (the page itself) has no "#".
  const at = groups.findIndex(group => group.some(item => item.location === page))
  if (at <= 0) return groups
  return [groups[at], ...groups.slice(0, at), ...groups.slice(at + 1)]
}

// Registered before the theme's listener, so it sees each message first.
addEventListener("message", event => {
  const { type, data } = event.data
  if (type === SETUP) {
    termPage = termPages(data.docs, normalise)
    singularPage = termPages(data.docs, singular)
  }
  else if (type === QUERY) queries.push(data)
})

const send = self.postMessage.bind(self)
self.postMessage = message => {
  if (message.type === RESULT) {
    const query = queries.shift()
    message.data.items = termPageFirst(message.data.items, query)
  }
  send(message)
}

importScripts(new URL(self.location.href).searchParams.get("theme"))
