/** Every authentication/authorisation case a security test tried, with its outcome, for RELIABILITY.md. */
import { recordFigure } from '../reliability/support/figures.js';

export function recordAuthCase(surface: 'kafka' | 'api', name: string, outcome: 'allowed' | 'refused'): void {
  recordFigure('auth-cases', { surface, name, outcome });
}
