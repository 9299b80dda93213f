import type { Step } from './step.js';

/**
 * The steps that must finish removing before `id` may: every step that
 * depends on it, directly or through steps that remove nothing themselves
 * (migrations and pgvector have no resources, yet the service depends on
 * the database through them).
 */
export function dependentsOf(all: readonly Step[], id: string, removes: (s: Step) => boolean): Step[] {
  const out = new Map<string, Step>();
  const visit = (target: string) => {
    for (const s of all) {
      if (!s.dependsOn.includes(target as never)) continue;
      if (removes(s)) out.set(s.id, s);
      else visit(s.id);
    }
  };
  visit(id);
  return [...out.values()];
}

/** The pipeline's order reversed: what the plan lists first goes first. */
export function teardownOrder<S extends Step>(steps: readonly S[]): S[] {
  return [...steps].reverse();
}
