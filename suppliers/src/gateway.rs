//! The payment gateway's state: card tokens, payment intents and refunds.
//!
//! Pure state transitions under the simulator's gateway mutex; the HTTP layer does the
//! waiting (slow cards) and hands the returned events to [`crate::webhooks`]. In memory
//! only, like the reservations: a restart is a sandbox reset.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::api::{
    CreatePaymentIntent, CreatePaymentMethod, CreateRefund, FailureCode, PaymentIntent,
    PaymentIntentStatus, PaymentMethod, Refund, RefundStatus, WebhookEvent, WebhookEventData,
    WebhookEventType,
};
use crate::cards::{validate_card, CardBehaviour};
use crate::error::ApiError;
use crate::faults::GATEWAY_TARGET;
use crate::idempotency::{Fingerprint, IdempotencyStore, Operation};

/// Largest amount one intent may charge: 100,000,000.00 (a sanity bound, not a card limit).
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000;

#[derive(Debug)]
struct StoredMethod {
    public: PaymentMethod,
    behaviour: CardBehaviour,
}

#[derive(Debug)]
struct StoredIntent {
    intent: PaymentIntent,
    behaviour: CardBehaviour,
}

/// What an intent looks like after a step, and the event to send about it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub intent: PaymentIntent,
    pub event: Option<WebhookEvent>,
}

/// The first step of confirming: settled at once, or a slow card the caller must wait for
/// (the intent is `PROCESSING` meanwhile) before calling [`GatewayState::finish_slow_confirm`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmStart {
    Settled(Box<Settled>),
    Slow,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentCreated {
    pub intent: PaymentIntent,
    pub replayed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundCreated {
    pub refund: Refund,
    pub replayed: bool,
    pub event: Option<WebhookEvent>,
}

#[derive(Debug, Default)]
pub struct GatewayState {
    methods: HashMap<String, StoredMethod>,
    intents: HashMap<String, StoredIntent>,
    refunds: HashMap<String, Refund>,
    idempotency: IdempotencyStore,
}

impl GatewayState {
    /// Checks a card and keeps a token for it (never the number).
    pub fn tokenise(
        &mut self,
        card: &CreatePaymentMethod,
        now: DateTime<Utc>,
    ) -> Result<PaymentMethod, ApiError> {
        let valid = validate_card(card, now.date_naive())?;
        let public = PaymentMethod {
            payment_method: format!("pm_{}", Uuid::new_v4().simple()),
            brand: valid.brand,
            last4: valid.last4,
            exp_month: valid.exp_month,
            exp_year: valid.exp_year,
        };
        self.methods.insert(
            public.payment_method.clone(),
            StoredMethod {
                public: public.clone(),
                behaviour: valid.behaviour,
            },
        );
        Ok(public)
    }

    pub fn create_intent(
        &mut self,
        idempotency_key: &str,
        request: &CreatePaymentIntent,
        now: DateTime<Utc>,
    ) -> Result<IntentCreated, ApiError> {
        let fingerprint = Fingerprint::of(request);
        let operation = Operation::CreatePaymentIntent;
        if let Some(id) =
            self.idempotency
                .recall(GATEWAY_TARGET, operation, idempotency_key, fingerprint)?
        {
            let intent = self.intent(id)?;
            return Ok(IntentCreated {
                intent,
                replayed: true,
            });
        }
        if !(1..=MAX_AMOUNT_MINOR).contains(&request.amount_minor) {
            return Err(ApiError::InvalidRequest(format!(
                "amountMinor must be between 1 and {MAX_AMOUNT_MINOR}"
            )));
        }
        let method = self
            .methods
            .get(&request.payment_method)
            .ok_or(ApiError::UnknownPaymentMethod)?;
        let intent = PaymentIntent {
            id: format!("pi_{}", Uuid::new_v4().simple()),
            amount_minor: request.amount_minor,
            currency: request.currency,
            payment_method: method.public.payment_method.clone(),
            description: request.description.clone(),
            metadata: request.metadata.clone(),
            status: PaymentIntentStatus::RequiresConfirmation,
            failure_code: None,
            amount_refunded: 0,
            created_at: now,
        };
        let stored = StoredIntent {
            intent: intent.clone(),
            behaviour: method.behaviour,
        };
        self.idempotency.remember(
            GATEWAY_TARGET,
            operation,
            idempotency_key,
            fingerprint,
            &intent.id,
        );
        self.intents.insert(intent.id.clone(), stored);
        Ok(IntentCreated {
            intent,
            replayed: false,
        })
    }

    /// Charges the card. Confirming a settled (or processing) intent answers it unchanged.
    pub fn begin_confirm(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<ConfirmStart, ApiError> {
        let stored = self
            .intents
            .get_mut(id)
            .ok_or(ApiError::UnknownPaymentIntent)?;
        if stored.intent.status != PaymentIntentStatus::RequiresConfirmation {
            return Ok(ConfirmStart::Settled(Box::new(Settled {
                intent: stored.intent.clone(),
                event: None,
            })));
        }
        let outcome = match stored.behaviour {
            CardBehaviour::Slow => {
                stored.intent.status = PaymentIntentStatus::Processing;
                return Ok(ConfirmStart::Slow);
            }
            CardBehaviour::Succeeds => None,
            CardBehaviour::Declined => Some(FailureCode::CardDeclined),
            CardBehaviour::InsufficientFunds => Some(FailureCode::InsufficientFunds),
        };
        let settled = settle(&mut stored.intent, outcome, now);
        Ok(ConfirmStart::Settled(Box::new(settled)))
    }

    /// Completes a slow card's confirmation (it always succeeds).
    pub fn finish_slow_confirm(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Settled, ApiError> {
        let stored = self
            .intents
            .get_mut(id)
            .ok_or(ApiError::UnknownPaymentIntent)?;
        if stored.intent.status != PaymentIntentStatus::Processing {
            return Ok(Settled {
                intent: stored.intent.clone(),
                event: None,
            });
        }
        Ok(settle(&mut stored.intent, None, now))
    }

    /// A tokenised card, as `tokenise` answered it (never the number).
    pub fn method(&self, token: &str) -> Result<PaymentMethod, ApiError> {
        self.methods
            .get(token)
            .map(|stored| stored.public.clone())
            .ok_or(ApiError::UnknownPaymentMethod)
    }

    pub fn intent(&self, id: &str) -> Result<PaymentIntent, ApiError> {
        self.intents
            .get(id)
            .map(|stored| stored.intent.clone())
            .ok_or(ApiError::UnknownPaymentIntent)
    }

    /// Refunds part or all of what is left of a succeeded payment.
    pub fn refund(
        &mut self,
        idempotency_key: &str,
        request: &CreateRefund,
        now: DateTime<Utc>,
    ) -> Result<RefundCreated, ApiError> {
        let fingerprint = Fingerprint::of(request);
        let operation = Operation::CreateRefund;
        if let Some(id) =
            self.idempotency
                .recall(GATEWAY_TARGET, operation, idempotency_key, fingerprint)?
        {
            let refund = self.refund_by_id(id)?;
            return Ok(RefundCreated {
                refund,
                replayed: true,
                event: None,
            });
        }
        let stored = self
            .intents
            .get_mut(&request.payment_intent)
            .ok_or(ApiError::UnknownPaymentIntent)?;
        let intent = &mut stored.intent;
        if intent.status != PaymentIntentStatus::Succeeded {
            return Err(ApiError::PaymentNotSucceeded);
        }
        if request.amount_minor <= 0 {
            return Err(ApiError::InvalidRequest(
                "amountMinor must be positive".into(),
            ));
        }
        let remaining = intent.amount_minor - intent.amount_refunded;
        if request.amount_minor > remaining {
            return Err(ApiError::RefundExceedsPayment {
                requested: request.amount_minor,
                remaining,
            });
        }
        intent.amount_refunded += request.amount_minor;
        let refund = Refund {
            id: format!("re_{}", Uuid::new_v4().simple()),
            payment_intent: intent.id.clone(),
            amount_minor: request.amount_minor,
            currency: intent.currency,
            status: RefundStatus::Succeeded,
            created_at: now,
        };
        self.idempotency.remember(
            GATEWAY_TARGET,
            operation,
            idempotency_key,
            fingerprint,
            &refund.id,
        );
        self.refunds.insert(refund.id.clone(), refund.clone());
        let data = WebhookEventData {
            payment_intent: None,
            refund: Some(refund.clone()),
        };
        Ok(RefundCreated {
            event: Some(event(WebhookEventType::RefundSucceeded, data, now)),
            refund,
            replayed: false,
        })
    }

    pub fn refund_by_id(&self, id: &str) -> Result<Refund, ApiError> {
        self.refunds.get(id).cloned().ok_or(ApiError::UnknownRefund)
    }
}

/// Moves an intent to its final status and describes the change as an event.
fn settle(intent: &mut PaymentIntent, failure: Option<FailureCode>, now: DateTime<Utc>) -> Settled {
    let event_type = match failure {
        None => {
            intent.status = PaymentIntentStatus::Succeeded;
            WebhookEventType::PaymentIntentSucceeded
        }
        Some(code) => {
            intent.status = PaymentIntentStatus::Failed;
            intent.failure_code = Some(code);
            WebhookEventType::PaymentIntentPaymentFailed
        }
    };
    tracing::info!(payment_intent = %intent.id, status = ?intent.status, "payment intent settled");
    let data = WebhookEventData {
        payment_intent: Some(intent.clone()),
        refund: None,
    };
    Settled {
        intent: intent.clone(),
        event: Some(event(event_type, data, now)),
    }
}

fn event(event_type: WebhookEventType, data: WebhookEventData, now: DateTime<Utc>) -> WebhookEvent {
    WebhookEvent {
        id: format!("evt_{}", Uuid::new_v4().simple()),
        event_type,
        data,
        created: now,
    }
}
