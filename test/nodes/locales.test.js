'use strict';
/**
 * The message catalogs and help texts Node-RED loads from nodes/locales/<lang>/: en-US is
 * complete, de and ja have every key with the same placeholders and the same help
 * structure, every key the editor and the runtime ask for exists, and the edit dialogs
 * hold no text of their own (everything user-facing comes from the catalogs).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const LOCALES = path.join(ROOT, 'nodes', 'locales');
const TYPES = Object.keys(require('../../package.json')['node-red'].nodes);
const LANGS = ['de', 'ja'];

const read = (...p) => fs.readFileSync(path.join(...p), 'utf8');
const catalog = (lang, type) => JSON.parse(read(LOCALES, lang, `${type}.json`));

/** "a.b.c" → string for every leaf of a catalog. */
function leaves(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out[key] = v;
    else if (v && typeof v === 'object') leaves(v, key, out);
    else out[key] = v;
  }
  return out;
}

const placeholders = (s) => [...s.matchAll(/__(\w+)__/g)].map((m) => m[1]).sort();

/** The structure of a help text: its name, section headings (count) and the msg properties it lists, in order. */
function helpStructure(html) {
  const name = /data-help-name="([^"]+)"/.exec(html)?.[1];
  const sections = [...html.matchAll(/<h3>/g)].length;
  // msg properties, as Node-RED's help style writes them: <dt>name <span class="property-type">type</span></dt>.
  const properties = [...html.matchAll(/<dt(?: class="optional")?>([^<]+?)\s*<span class="property-type">([^<]*)<\/span>/g)].map(
    (m) => `${m[1].trim()}: ${m[2].trim()}`,
  );
  const codes = [...html.matchAll(/<code>([^<]*)<\/code>/g)].map((m) => m[1]).sort();
  const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
  return { name, sections, properties, codes, links };
}

describe('locales: en-US complete, de and ja translated with the same keys and placeholders', function () {
  it('every node has an en-US catalog and help, and no string in them is empty', () => {
    for (const type of TYPES) {
      const strings = leaves(catalog('en-US', type));
      assert.ok(Object.keys(strings).length > 3, type);
      for (const [key, text] of Object.entries(strings)) assert.ok(typeof text === 'string' && text.trim() !== '', `${type}: ${key}`);
      const help = read(LOCALES, 'en-US', `${type}.html`);
      assert.equal(helpStructure(help).name, type);
    }
  });

  for (const lang of LANGS) {
    it(`${lang}: every en-US key, with the same placeholders, translated`, () => {
      let same = 0;
      let total = 0;
      for (const type of TYPES) {
        const en = leaves(catalog('en-US', type));
        const other = leaves(catalog(lang, type));
        assert.deepEqual(Object.keys(other).sort(), Object.keys(en).sort(), `${lang}/${type}.json has exactly the en-US keys`);
        for (const [key, text] of Object.entries(en)) {
          assert.equal(typeof other[key], 'string', `${lang}/${type}: ${key}`);
          assert.ok(other[key].trim() !== '', `${lang}/${type}: ${key} is empty`);
          assert.deepEqual(placeholders(other[key]), placeholders(text), `${lang}/${type}: ${key} placeholders`);
          total++;
          if (other[key] === text) same++;
        }
      }
      // Names like "TLS", "API" or "ms" stay as they are; the rest is translated.
      assert.ok(same / total < 0.15, `${same} of ${total} ${lang} strings are the English ones`);
    });

    it(`${lang}: help for every node, with the same sections, msg properties, code and links as en-US`, () => {
      for (const type of TYPES) {
        const en = helpStructure(read(LOCALES, 'en-US', `${type}.html`));
        assert.ok(en.sections >= 2 && en.codes.length > 5 && en.links.length > 0, `en-US/${type}.html structure found`);
        if (type !== 'm2m-provider') assert.ok(en.properties.length > 0, `en-US/${type}.html lists msg properties`);
        const html = read(LOCALES, lang, `${type}.html`);
        const other = helpStructure(html);
        assert.equal(other.name, type, `${lang}/${type}.html data-help-name`);
        assert.equal(other.sections, en.sections, `${lang}/${type}.html sections`);
        assert.deepEqual(other.properties, en.properties, `${lang}/${type}.html msg properties`);
        assert.deepEqual(other.codes, en.codes, `${lang}/${type}.html <code> items`);
        assert.deepEqual(other.links, en.links, `${lang}/${type}.html links`);
        assert.notEqual(html, read(LOCALES, 'en-US', `${type}.html`));
      }
    });
  }

  it('every key the nodes and their dialogs ask for exists in en-US', () => {
    const known = {};
    for (const type of TYPES) Object.assign(known, leaves(catalog('en-US', type)));
    const sources = [
      ...fs.readdirSync(path.join(ROOT, 'nodes')).filter((f) => f.endsWith('.html')).map((f) => path.join(ROOT, 'nodes', f)),
      ...fs.readdirSync(path.join(ROOT, 'src', 'nodes')).filter((f) => f.endsWith('.ts')).map((f) => path.join(ROOT, 'src', 'nodes', f)),
    ];
    const used = new Set();
    for (const file of sources) {
      const text = read(file);
      for (const m of text.matchAll(/\b_\(\s*['"`](m2m-[\w-]+\.[\w.-]*[\w-])['"`]/g)) used.add(m[1]);
      for (const m of text.matchAll(/data-i18n="(?:\[[^\]]+\])?(m2m-[\w.-]+)"/g)) used.add(m[1]);
      // Keys built from a prefix ('m2m-device.errors.' + problem): the prefix must hold keys.
      for (const m of text.matchAll(/\b_\(\s*['"`](m2m-[\w-]+\.[\w.-]+\.)(?:['"`]|\$\{)/g)) {
        assert.ok(Object.keys(known).some((k) => k.startsWith(m[1])), `${path.relative(ROOT, file)}: ${m[1]}…`);
      }
    }
    assert.ok(used.size > 60, `${used.size} keys found`);
    const missing = [...used].filter((k) => !(k in known));
    assert.deepEqual(missing, []);
  });

  it('the edit dialogs hold no text of their own: labels, options and tips come from the catalogs', () => {
    for (const type of TYPES) {
      const html = read(ROOT, 'nodes', `${type}.html`);
      const template = /<script type="text\/html" data-template-name="[^"]+">([\s\S]*?)<\/script>/.exec(html)[1];
      const text = template
        .replace(/<style>[\s\S]*?<\/style>/g, '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/&nbsp;/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      assert.match(text, /^[*\s]*$/, `${type}.html: "${text}"`);
    }
  });
});
