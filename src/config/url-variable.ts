/** The variable a service's address is given in (Service Connect): `ai` → `AI_URL`, `api-v2` → `API_V2_URL`. */
export const urlVariable = (service: string) => `${service.toUpperCase().replace(/-/g, '_')}_URL`;
