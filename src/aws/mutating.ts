/** AWS API names that change something. Read calls (Describe, Get, List, Head) never match. */
export const MUTATING =
  /^(Create|Put|Delete|Update|Modify|Register|Deregister|Run|Start|Stop|Tag|Untag|Attach|Detach|Set|Restore|Authorize|Revoke|Upload|Initiate|Complete|Batch(Delete|Put)|Increase|Decrease|Request|Import|Associate|Disassociate|Publish|Allocate|Release|Replace)/;

export const isMutating = (command: string) => MUTATING.test(command);
