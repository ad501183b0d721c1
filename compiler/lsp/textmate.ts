// The TextMate grammar of the VS Code extension, generated from the same tables the checker
// reads (layers, activations, initializers, losses, optimizers, sources), so highlighting
// never lags behind the language. `node editors/vscode/scripts/grammar.mjs` writes it;
// tests/lsp/vscode.test.ts fails when the committed file is stale.
import { LAYERS, ACTIVATIONS, INITIALIZERS } from "../semantic/layers/index.ts";
import { CALLBACKS, LOSSES, LOSS_ALIASES, METRICS, OPTIMIZERS, SOURCES, STRATEGIES, SPACES } from "../semantic/catalog.ts";

const words = (xs: Iterable<string>) => `\\b(?:${[...new Set(xs)].sort((a, b) => b.length - a.length || a.localeCompare(b)).join("|")})\\b`;

export function textmateGrammar(): Record<string, unknown> {
  return {
    $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
    name: "dlp",
    scopeName: "source.dlp",
    fileTypes: ["dlp"],
    patterns: [{ include: "#comments" }, { include: "#strings" }, { include: "#declarations" }, { include: "#keywords" }, { include: "#calls" }, { include: "#arguments" }, { include: "#constants" }, { include: "#numbers" }, { include: "#operators" }],
    repository: {
      comments: {
        patterns: [
          { name: "comment.line.double-slash.dlp", match: "//.*$" },
          { name: "comment.block.dlp", begin: "/\\*", end: "\\*/" },
        ],
      },
      strings: { name: "string.quoted.double.dlp", begin: '"', end: '"|$', patterns: [{ name: "constant.character.escape.dlp", match: "\\\\." }] },
      declarations: {
        patterns: [
          { match: "\\b(pipeline)\\s+([A-Za-z_][A-Za-z0-9_]*)", captures: { "1": { name: "keyword.declaration.pipeline.dlp" }, "2": { name: "entity.name.type.pipeline.dlp" } } },
          { match: "\\b(block)\\s+([A-Za-z_][A-Za-z0-9_]*)", captures: { "1": { name: "keyword.declaration.block.dlp" }, "2": { name: "entity.name.function.block.dlp" } } },
          { match: "\\b(param)\\s+([A-Za-z_][A-Za-z0-9_]*)", captures: { "1": { name: "keyword.declaration.param.dlp" }, "2": { name: "variable.other.constant.param.dlp" } } },
        ],
      },
      keywords: {
        patterns: [
          { name: "keyword.control.dlp", match: "\\b(?:repeat|if|else|return|freeze|tune|when)\\b" },
          { name: "keyword.operator.word.dlp", match: "\\b(?:as|and|or|not)\\b" },
          { name: "storage.type.section.dlp", match: "\\b(?:data|model|train|evaluate|tune)(?=\\s*\\{)" },
          { name: "keyword.other.setting.dlp", match: "^\\s*(?:seed|source|split|augment|shuffle|loss|optimizer|batch|epochs|metrics|schedule|clip_norm|class_weight|init_weights|strategy|objective|trials)\\b" },
        ],
      },
      calls: {
        patterns: [
          { name: "support.function.layer.dlp", match: words(LAYERS.keys()) },
          { name: "support.function.catalog.dlp", match: words([...Object.keys(OPTIMIZERS), ...Object.keys(CALLBACKS), ...Object.keys(STRATEGIES), ...Object.keys(SPACES)]) + "(?=\\s*\\()" },
          { name: "entity.name.function.call.dlp", match: "\\b[A-Za-z_][A-Za-z0-9_]*(?=\\s*\\()" },
        ],
      },
      arguments: { match: "\\b([A-Za-z_][A-Za-z0-9_]*)\\s*(:)(?!:)", captures: { "1": { name: "variable.parameter.argument.dlp" }, "2": { name: "punctuation.separator.key-value.dlp" } } },
      constants: {
        patterns: [
          { name: "constant.language.boolean.dlp", match: "\\b(?:true|false)\\b" },
          { name: "support.constant.activation.dlp", match: words(ACTIVATIONS.keys()) },
          { name: "support.constant.initializer.dlp", match: words(INITIALIZERS.keys()) },
          { name: "support.constant.loss.dlp", match: words([...Object.keys(LOSSES), ...Object.keys(LOSS_ALIASES)]) },
          { name: "support.constant.source.dlp", match: words(Object.keys(SOURCES)) },
          { name: "support.constant.metric.dlp", match: words([...Object.keys(METRICS), "confusion_matrix"]) },
          { name: "support.constant.dlp", match: "\\b(?:same|valid|horizontal|vertical|both|maximize|minimize|validation|test|stratified|last|image|vector|sequence|class|onehot|binary|regression|images|labels|sequences|features)\\b" },
        ],
      },
      numbers: { name: "constant.numeric.dlp", match: "(?<![A-Za-z_])(?:\\d+\\.\\d+|\\d+|\\.\\d+)(?:[eE][+-]?\\d+)?(?:%|deg\\b)?" },
      operators: {
        patterns: [
          { name: "keyword.operator.pipe.dlp", match: "\\|>" },
          { name: "keyword.operator.range.dlp", match: "\\.\\." },
          { name: "keyword.operator.comparison.dlp", match: "==|!=|<=|>=|<|>" },
          { name: "keyword.operator.assignment.dlp", match: "=" },
          { name: "keyword.operator.arithmetic.dlp", match: "[-+*/]" },
        ],
      },
    },
  };
}

export function textmateGrammarText(): string {
  return JSON.stringify(textmateGrammar(), null, 2) + "\n";
}
