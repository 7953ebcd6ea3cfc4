// ESLint (flat config) as in the Effect-TS/examples templates: typescript-eslint, and
// @effect/eslint-plugin whose `@effect/dprint` rule formats the code with dprint (the formatter
// runs inside ESLint, so `npm run lint:fix` formats, and no dprint plugin is downloaded).
import * as effectEslint from "@effect/eslint-plugin"
import eslint from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  {
    ignores: ["**/dist", "**/docs", "**/node_modules", "**/.tmp", "**/coverage", "**/*.md"]
  },
  eslint.configs.recommended,
  {
    // Plain Node scripts (test fixtures).
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        fetch: "readonly",
        URL: "readonly",
        Buffer: "readonly"
      }
    }
  },
  tseslint.configs.recommended,
  effectEslint.configs.dprint,
  {
    languageOptions: {
      parser: tseslint.parser,
      ecmaVersion: 2022,
      sourceType: "module"
    },
    rules: {
      "no-fallthrough": "off",
      "no-irregular-whitespace": "off",
      "object-shorthand": "error",
      "prefer-destructuring": "off",
      "sort-imports": "off",
      "no-unused-vars": "off",
      "prefer-rest-params": "off",
      "prefer-spread": "off",
      // The project's rule is "never `as any`"; `any` in type positions (e.g. the encoded side of
      // `Schema.Schema<A, any>`) is an Effect idiom and stays allowed.
      "no-restricted-syntax": ["error", {
        selector: "TSAsExpression > TSAnyKeyword.typeAnnotation",
        message: "Never `as any`: decode with Schema, narrow, or type the value."
      }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/array-type": ["error", { default: "generic", readonly: "generic" }],
      "@typescript-eslint/consistent-type-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/ban-ts-comment": "off",
      // Formatting is enforced: `npm run lint:fix` formats the repo.
      // Options: Effect's own, except a 140-column line width, which matches this repo's style.
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 140,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force",
          "module.sortImportDeclarations": "maintain",
          "module.sortExportDeclarations": "maintain"
        }
      }]
    }
  },
  {
    // Shipped code: no spread arguments in Array.push (a stack overflow on large arrays).
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-syntax": ["error", {
        selector: "TSAsExpression > TSAnyKeyword.typeAnnotation",
        message: "Never `as any`: decode with Schema, narrow, or type the value."
      }, {
        selector: "CallExpression[callee.property.name='push'] > SpreadElement.arguments",
        message: "Do not use spread arguments in Array.push"
      }]
    }
  }
)
