//! Test cards, tokenised by the simulated payment gateway as a client would.

use wayfarer_suppliers::api::CreatePaymentMethod;
use wayfarer_suppliers::client::GatewayClient;

/// The gateway's token for the test card `number` (one of `wayfarer_suppliers::CARD_*`).
pub async fn tokenise(gateway: &GatewayClient, number: &str) -> String {
    gateway
        .create_payment_method(&CreatePaymentMethod {
            card_number: number.into(),
            exp_month: 12,
            exp_year: 2035,
            cvc: "123".into(),
        })
        .await
        .expect("the gateway tokenises a valid card")
        .payment_method
}
