import { z } from 'zod';

/** Form schemas for sign-in and password pages; error wording lives here, once. */
export const signInForm = z.object({
  email: z.string().trim().min(1, 'Enter your email address').max(320, 'Email address must be 320 characters or fewer'),
  password: z.string().min(1, 'Enter your password').max(1024, 'Password is too long'),
  next: z.string().optional(),
});

export const forgotPasswordForm = z.object({
  email: z.string().trim().min(1, 'Enter your email address').pipe(z.email('Enter an email address in the correct format, like name@example.gov.uk')),
});

export const setPasswordForm = z.object({
  password: z.string().min(1, 'Enter a password').max(1024, 'Password is too long'),
  confirmPassword: z.string().min(1, 'Confirm your password'),
});

/** The current password first, so the error summary lists problems in the order of the page. */
export const changePasswordForm = z.object({
  currentPassword: z.string().min(1, 'Enter your current password').max(1024, 'Password is too long'),
  ...setPasswordForm.shape,
});

export const tokenForm = z.object({
  name: z.string().trim().min(1, 'Enter a name for the token').max(100, 'Token name must be 100 characters or fewer'),
});
