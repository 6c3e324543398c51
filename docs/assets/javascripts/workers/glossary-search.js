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
 * names and synonyms. The build also writes "terms" into the index's config (name or
 * synonym -> the term's own address, its section on a family page:
 * docs/_hooks/search_index.py), so "relu" opens the ReLU section of the
 * Activation function page, not the top of the page.
 */

// The theme's message types (SearchMessageType).
const SETUP = 0
const QUERY = 2
const RESULT = 3

let termPage = new Map() // normalised name or synonym -> location of its page
let singularPage = new Map() // the same, each word made singular; ambiguous forms left out
let termSection = new Map() // normalised (and singular) name or synonym -> the term's own address
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
  if (at < 0) return groups
  const ordered = [sectionFirst(groups[at], query), ...groups.slice(0, at), ...groups.slice(at + 1)]
  return ordered
}

// The term's own section leads its page's group. The theme shows the group's item without
// "#" (the page) as the link at the top, or the group's last item when none is without "#":
// so the page's own item is left out and the section goes last.
function sectionFirst(group, query) {
  const address = termSection.get(normalise(query)) ?? termSection.get(singular(query))
  if (address === undefined || !address.includes("#")) return group
  const page = group.find(item => !item.location.includes("#"))
  const section = group.find(item => item.location === address)
    ?? (page && { ...page, location: address })
  if (section === undefined) return group
  return [...group.filter(item => item !== section && item !== page), section]
}

// Registered before the theme's listener, so it sees each message first.
addEventListener("message", event => {
  const { type, data } = event.data
  if (type === SETUP) {
    termPage = termPages(data.docs, normalise)
    singularPage = termPages(data.docs, singular)
    termSection = new Map()
    for (const [label, address] of Object.entries(data.config?.terms ?? {})) {
      termSection.set(normalise(label), address)
      if (!termSection.has(singular(label))) termSection.set(singular(label), address)
    }
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

// lunr's token set merges the nodes that share a key, and the key joins each edge's character
// and its target's id with nothing between them: with digits as characters, "1" -> node 234 and
// "1" -> node 2 then "3" -> node 4 both read "01234". Two different nodes are merged, the set then
// holds words the index lacks, and a query that reaches one throws in the worker (reading
// '_index' of undefined) and shows "No matching documents": which queries, depends on the numbers
// the pages hold ("SGD" and "Glorot initialization" did, after the Performance page's figures
// changed). A comma after each id makes the key unambiguous: one character, digits, a comma.
self.lunr.TokenSet.prototype.toString = function () {
  if (this._str) return this._str
  let key = this.final ? "1" : "0"
  for (const label of Object.keys(this.edges).sort()) key += label + this.edges[label].id + ","
  this._str = key
  return key
}
