/**
 * The registry of step outputs. Each step file adds its own entry by
 * declaration merging:
 *
 *   declare module '../src/pipeline/outputs.js' {
 *     interface StepOutputs { network: NetworkOutput }
 *   }
 *
 * so StepId is derived from the steps that exist, and `ctx.output('network')`
 * is typed without a cast.
 */
// Filled by declaration merging, which a type alias cannot take.
export interface StepOutputs {}

export type StepId = keyof StepOutputs & string;
