// A preview's name, checked with the flags (src/cli/preview.ts loads nothing heavier than this) and in the config.

/** 1-20 lowercase letters, digits and single hyphens (pr-42). */
export const PREVIEW_NAME = /^[a-z0-9](?:[a-z0-9]|-(?!-)){0,18}[a-z0-9]$|^[a-z0-9]$/;
export const PREVIEW_NAME_RULE = 'use 1-20 lowercase letters, digits and single hyphens, such as pr-42';
