/**
 * Cloud regions this firmware may bind to (PRV1 `C:`). Compiled in on
 * purpose: a QR code can only choose among endpoints we ship, never name
 * one (the Aqara `d=` lesson, provisioning.md §6.4). Adding a region is a
 * firmware release together with its endpoint in the cloud configuration.
 */
export const REGIONS = ['EU', 'US', 'CN', 'IN', 'JP', 'KR', 'AU', 'BR', 'SG'] as const;

export type Region = (typeof REGIONS)[number];

export function isRegion(text: string): text is Region {
  return (REGIONS as readonly string[]).includes(text);
}
