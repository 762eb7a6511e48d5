import { invalidArgument } from "@mesh/interface";

/** The one capability check: a non-empty string, named by `property` when it is not. */
export function checkCapability(property: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw invalidArgument(property, "a non-empty string", value);
  return value;
}

/** A capability list: each entry checked, duplicates dropped, sorted. */
export function validateCapabilities(property: string, value: unknown): readonly string[] {
  if (!Array.isArray(value)) throw invalidArgument(property, "an array of non-empty strings", value);
  value.forEach((capability, i) => {
    checkCapability(`${property}[${i}]`, capability);
  });
  return [...new Set(value as string[])].sort();
}
