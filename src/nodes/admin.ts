/**
 * Guards shared by the package's admin endpoints (Node-RED's httpAdmin).
 */
import type { NextFunction, Request, Response } from 'express';

/**
 * Endpoints that change or spend something take `application/json` only (415 otherwise). With
 * adminAuth off (Node-RED's default) the admin app also parses url-encoded and plain bodies, so
 * a simple cross-site form POST from any page the operator visits would reach them; a JSON
 * content type cannot be sent cross-site without a CORS preflight, which Node-RED does not
 * grant (Fetch standard, "CORS-safelisted request-header": only the three form types are safe).
 */
export function jsonOnly(req: Request, res: Response, next: NextFunction): void {
  if (!req.is('application/json')) {
    res.status(415).json({ code: 'unsupported_media_type', message: 'this endpoint takes a JSON body (Content-Type: application/json)' });
    return;
  }
  next();
}
