/** Types of scripts/dist-stamp.mjs (plain JavaScript: the build runs it before tsc). */
export declare function sourceHashes(root: string): Record<string, string>;
export declare function distStaleness(root: string): string | null;
